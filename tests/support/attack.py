"""The attacker of tests/test_secrecy.py: read the storage as its owner can, as bytes, and one
pipeline from those bytes, and whatever secrets it holds, to each slip's ratings.

Nothing here asks the application anything. The readers copy bytes: SQLite's main file, its
``-wal`` and ``-shm``; PostgreSQL's pages through ``pageinspect`` (dead tuples included), its
relation files after ``CHECKPOINT`` and its WAL records; and every file of a folder. The
pipeline (``recover``) parses those bytes itself: heap pages and their tuple headers on
PostgreSQL, b-tree pages, overflow chains and WAL frames on SQLite. It links slips to ballots
by what the engine left behind (the xmin both rows of one transaction carry; the frames one
SQLite transaction appended), turns any sealed key file it can open into a seed, and decrypts
each ciphertext slot by slot (B_k - x_k A is the point at infinity or G). Given the key store
and BOX_KEY during a meeting it must open every ballot: that is the control that shows the
pipeline is not blind.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from nacl import bindings
from nacl.exceptions import CryptoError

from tally import box, group

#: An invalid paper ballot: its slip is spent, its row holds no ciphertext.
INVALID = "invalid"
_G = group.encode(group.base_times(1))


# --- what the attacker holds ----------------------------------------------------------------


@dataclass
class Storage:
    """Everything read at one moment. ``sources`` names every byte string read (a file, a
    relation's pages, WAL records); the rest is the same bytes kept in the shape the pipeline
    parses."""

    phase: str
    dialect: str
    sources: dict[str, bytes] = field(default_factory=dict)
    #: PostgreSQL: reader ("pageinspect", "relation file") -> table -> its 8 KiB pages.
    heap_pages: dict[str, dict[str, list[bytes]]] = field(default_factory=dict)
    #: SQLite: the main file and the ``-wal`` as read (b"" when absent).
    sqlite_main: bytes = b""
    sqlite_wal: bytes = b""
    #: PostgreSQL, from pg_walinspect: xids whose records update ``slip`` and insert into
    #: ``ballot`` (the WAL's own copy of the link).
    wal_linking_xids: int = 0
    #: PostgreSQL: of those xids, how many have a COMMIT record with its time in the WAL.
    wal_commit_times: int = 0

    def only(self, prefixes: Sequence[str]) -> Storage:
        """The same read restricted to the sources whose names start with one of ``prefixes``
        (what a database owner holds, without the application's folder)."""
        copy = Storage(self.phase, self.dialect, heap_pages=self.heap_pages,
                       sqlite_main=self.sqlite_main, sqlite_wal=self.sqlite_wal,
                       wal_linking_xids=self.wal_linking_xids,
                       wal_commit_times=self.wal_commit_times)
        copy.sources = {k: v for k, v in self.sources.items() if k.startswith(tuple(prefixes))}
        return copy

    def searchable(self) -> dict[str, bytes]:
        """The raw sources plus, on SQLite, every record of every b-tree reassembled from its
        overflow chain (a value longer than a page's local share is split across pages, so a
        plain byte search of the file would miss it)."""
        found = dict(self.sources)
        if self.sqlite_main or self.sqlite_wal:
            image = SqliteImage(self.sqlite_main, self.sqlite_wal)
            for label, state in (("main file", image.state(0)),
                                 ("main file + wal", image.state(len(image.transactions)))):
                found[f"sqlite records ({label})"] = b"\x00".join(image.all_payloads(state))
        return found

    def holders(self, needle: bytes, searchable: Mapping[str, bytes] | None = None) -> list[str]:
        """The names of the sources that contain ``needle``."""
        haystacks = self.searchable() if searchable is None else searchable
        return [name for name, data in haystacks.items() if needle in data]


@dataclass(frozen=True)
class Secrets:
    """What the attacker knows beyond the storage: wrapping-key candidates (BOX_KEY, or any
    other secret it took: it tries them all) and files it copied (path -> bytes)."""

    wrapping: tuple[str, ...] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)


# --- the pipeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A slip and the ballot its transaction stored (ciphertext None: an invalid ballot)."""

    slip: str
    ciphertext: bytes | None
    evidence: str


@dataclass(frozen=True)
class Recovery:
    """What the pipeline got out: the links, the seeds it could open, the ballots it read."""

    links: list[Link]
    seeds: list[bytes]
    ratings: dict[str, tuple[str | None, ...] | str]


def recover(storage: Storage, secrets: Secrets) -> Recovery:
    """From the bytes and the secrets, each slip's ratings (roster order; None: left blank) or
    INVALID. Only slips whose ballot was opened in full appear in ``ratings``."""
    links = find_links(storage)
    seeds = candidate_seeds(secrets)
    ratings: dict[str, tuple[str | None, ...] | str] = {}
    for link in links:
        if link.ciphertext is None:
            if seeds:  # an invalid ballot holds nothing; knowing so needs no key, but say it
                ratings[link.slip] = INVALID
            continue
        for seed in seeds:
            opened = open_ballot(seed, link.ciphertext)
            if opened is not None:
                ratings[link.slip] = opened
                break
    return Recovery(links, seeds, ratings)


def find_links(storage: Storage) -> list[Link]:
    if storage.dialect == "postgresql":
        links: dict[tuple[str, bytes | None], Link] = {}
        for reader, tables in storage.heap_pages.items():
            for link in xmin_links(tables.get("slip", []), tables.get("ballot", []), reader):
                links.setdefault((link.slip, link.ciphertext), link)
        return list(links.values())
    return SqliteImage(storage.sqlite_main, storage.sqlite_wal).links()


def unseal(blob: bytes, wrapping: str, evaluation_id: int) -> bytes | None:
    """A key store file opened as ballot/evaluations/keystore.py seals it (the code is public:
    XChaCha20-Poly1305 under BLAKE2b(wrapping secret), the evaluation id as associated data)."""
    nonce_bytes = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
    import hashlib

    key = hashlib.blake2b(wrapping.encode(), digest_size=32, person=b"ballot-box-wrap").digest()
    try:
        return bytes(bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            blob[nonce_bytes:], f"ballot-box evaluation {evaluation_id}".encode(),
            blob[:nonce_bytes], key))
    except (CryptoError, ValueError):
        return None


def candidate_seeds(secrets: Secrets) -> list[bytes]:
    """Every seed a copied file opens to under a secret the attacker holds. A file named like a
    key file says its evaluation; any other file of a sealed seed's size is tried with ids
    1..200."""
    sealed_size = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + box.SEED_BYTES + 16
    seeds: list[bytes] = []
    for path, blob in secrets.files.items():
        named = re.search(r"evaluation-(\d+)\.key$", path)
        if named:
            ids: Sequence[int] = [int(named.group(1))]
        elif len(blob) == sealed_size:
            ids = range(1, 201)
        else:
            continue
        for wrapping in secrets.wrapping:
            for evaluation_id in ids:
                seed = unseal(blob, wrapping, evaluation_id)
                if seed is not None and seed not in seeds:
                    seeds.append(seed)
    return seeds


def open_ballot(seed: bytes, ciphertext: bytes) -> tuple[str | None, ...] | None:
    """The ratings a ciphertext holds, if ``seed`` is its key: each slot's B_k - x_k A must be
    the point at infinity (0) or G (1), and each member's four slots hold at most one 1."""
    try:
        points = box.split_points(ciphertext)
        a = group.point(points[0])
    except group.GroupError:
        return None
    values = []
    for slot, b in enumerate(points[1:]):
        share = group.times(a, box.slot_secret(seed, slot))
        if group.encode(share) == b:
            values.append(0)
        elif group.encode(group.plus_base_times(share, 1)) == b:
            values.append(1)
        else:
            return None
    ratings: list[str | None] = []
    for start in range(0, len(values), box.SLOTS_PER_MEMBER):
        member = values[start:start + box.SLOTS_PER_MEMBER]
        if sum(member) > 1:
            return None
        ratings.append(box.RATINGS[member.index(1)] if 1 in member else None)
    return tuple(ratings)


# --- PostgreSQL heap pages ------------------------------------------------------------------

PG_PAGE = 8192
_LP_NORMAL = 1
#: Column kinds of the two tables, in table order (ballot/migrations/versions).
SLIP_COLUMNS = ("varlena", "int4", "bool")  # credential_hash, evaluation_id, spent
BALLOT_COLUMNS = ("varlena", "int4", "bool", "varlena", "varlena")  # id, evaluation, valid, ..


@dataclass(frozen=True)
class HeapTuple:
    block: int
    offset: int
    xmin: int
    xmax: int
    values: tuple[Any, ...]


def heap_tuples(page: bytes, block: int, columns: Sequence[str]) -> Iterator[HeapTuple]:
    """Every tuple whose line pointer still points at storage, live or dead."""
    if len(page) != PG_PAGE:
        return
    lower, upper = struct.unpack_from("<HH", page, 12)
    if upper == 0 or lower < 24:
        return
    for index in range((lower - 24) // 4):
        (pointer,) = struct.unpack_from("<I", page, 24 + 4 * index)
        offset, flags, length = pointer & 0x7FFF, (pointer >> 15) & 3, pointer >> 17
        if flags != _LP_NORMAL or length < 24 or offset + length > PG_PAGE:
            continue
        tup = page[offset:offset + length]
        xmin, xmax = struct.unpack_from("<II", tup, 0)
        infomask2, infomask, hoff = struct.unpack_from("<HHB", tup, 18)
        natts = infomask2 & 0x07FF
        nulls = tup[23:23 + (natts + 7) // 8] if infomask & 0x0001 else None
        try:
            values = _attributes(tup[hoff:], columns, natts, nulls)
        except (IndexError, struct.error, ValueError):
            continue
        yield HeapTuple(block, index + 1, xmin, xmax, values)


def _attributes(data: bytes, columns: Sequence[str], natts: int, nulls: bytes | None
                ) -> tuple[Any, ...]:
    values: list[Any] = []
    pos = 0
    for number, kind in enumerate(columns):
        if number >= natts or (nulls is not None and not nulls[number // 8] >> (number % 8) & 1):
            values.append(None)
            continue
        if kind == "bool":
            values.append(bool(data[pos]))
            pos += 1
        elif kind == "int4":
            pos = (pos + 3) & ~3
            values.append(struct.unpack_from("<i", data, pos)[0])
            pos += 4
        else:  # varlena: a 1-byte header is never aligned; a zero byte is padding
            if data[pos] == 0:
                pos = (pos + 3) & ~3
            first = data[pos]
            if first & 1:
                if first == 1:
                    raise ValueError("a TOAST pointer")
                size = first >> 1
                values.append(bytes(data[pos + 1:pos + size]))
            else:
                (header,) = struct.unpack_from("<I", data, pos)
                if header & 3:
                    raise ValueError("a compressed datum")
                size = header >> 2
                values.append(bytes(data[pos + 4:pos + size]))
            pos += size
    return tuple(values)


def xmin_links(slip_pages: Sequence[bytes], ballot_pages: Sequence[bytes], reader: str
               ) -> list[Link]:
    """The old attack, on bytes: a spent slip's row version and the ballot it paid for carry
    the same xmin, the transaction that wrote both."""
    spent: dict[int, list[str]] = {}
    for block, page in enumerate(slip_pages):
        for tup in heap_tuples(page, block, SLIP_COLUMNS):
            if tup.values[2]:
                spent.setdefault(tup.xmin, []).append(tup.values[0].decode("ascii"))
    links = []
    for block, page in enumerate(ballot_pages):
        for tup in heap_tuples(page, block, BALLOT_COLUMNS):
            slips = spent.get(tup.xmin, [])
            if len(slips) == 1:
                links.append(Link(slips[0], tup.values[3], f"{reader}: xmin {tup.xmin}"))
    return links


# --- SQLite: b-trees, overflow chains and WAL frames ----------------------------------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        byte = buf[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos + i + 1
    raise AssertionError("unreachable")


def sqlite_record(payload: bytes) -> list[Any]:
    """A record's values (SQLite file format, 2.1)."""
    header_size, pos = _varint(payload, 0)
    types = []
    while pos < header_size:
        serial, pos = _varint(payload, pos)
        types.append(serial)
    values: list[Any] = []
    body = header_size
    sizes = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 8, 8: 0, 9: 0}
    for serial in types:
        if serial in sizes:
            size = sizes[serial]
            raw = payload[body:body + size]
            if serial == 0:
                values.append(None)
            elif serial in (8, 9):
                values.append(serial - 8)
            elif serial == 7:
                values.append(struct.unpack(">d", raw)[0])
            else:
                values.append(int.from_bytes(raw, "big", signed=True))
        else:
            size = (serial - 12) // 2 if serial % 2 == 0 else (serial - 13) // 2
            raw = payload[body:body + size]
            values.append(bytes(raw) if serial % 2 == 0 else raw.decode("utf-8", "replace"))
        body += size
    return values


@dataclass(frozen=True)
class WalFrame:
    page_number: int
    commit_size: int
    page: bytes


class SqliteImage:
    """The database as a reader of the files sees it: the main file, then each transaction the
    ``-wal`` holds (frames of the current salt, grouped up to each commit frame)."""

    def __init__(self, main: bytes, wal: bytes) -> None:
        self.main = main
        self.page_size = 0
        if len(main) >= 100:
            size = struct.unpack_from(">H", main, 16)[0]
            self.page_size = 65536 if size == 1 else size
        self.frames: list[WalFrame] = []
        self.transactions: list[list[WalFrame]] = []
        if len(wal) >= 32:
            magic, _version, page_size, _seq, salt1, salt2 = struct.unpack_from(">IIIIII", wal, 0)
            if magic in (0x377F0682, 0x377F0683):
                self.page_size = self.page_size or page_size
                pending: list[WalFrame] = []
                pos = 32
                while pos + 24 + page_size <= len(wal):
                    number, commit, s1, s2 = struct.unpack_from(">IIII", wal, pos)
                    if (s1, s2) != (salt1, salt2):
                        break
                    frame = WalFrame(number, commit, wal[pos + 24:pos + 24 + page_size])
                    self.frames.append(frame)
                    pending.append(frame)
                    if commit:
                        self.transactions.append(pending)
                        pending = []
                    pos += 24 + page_size
        reserved = main[20] if len(main) >= 100 else 0
        self.usable = self.page_size - reserved

    def state(self, transactions: int) -> dict[int, bytes]:
        """Page number -> page after the first ``transactions`` committed transactions."""
        pages = {n + 1: self.main[n * self.page_size:(n + 1) * self.page_size]
                 for n in range(len(self.main) // self.page_size)} if self.page_size else {}
        for frames in self.transactions[:transactions]:
            for frame in frames:
                pages[frame.page_number] = frame.page
        return pages

    def free_pages(self, pages: Mapping[int, bytes]) -> list[int]:
        """The freelist's trunk and leaf pages (file format 1.5)."""
        first = pages.get(1, b"")
        if len(first) < 100:
            return []
        trunk, found = struct.unpack_from(">I", first, 32)[0], []
        while trunk and trunk in pages and trunk not in found:
            found.append(trunk)
            page = pages[trunk]
            following, count = struct.unpack_from(">II", page, 0)
            found.extend(struct.unpack_from(f">{count}I", page, 8))
            trunk = following
        return found

    # b-trees
    def _cells(self, pages: Mapping[int, bytes], number: int, seen: set[int]
               ) -> Iterator[bytes]:
        """The payloads of a b-tree's cells in key order, overflow chains followed."""
        if number in seen or number not in pages:
            return
        seen.add(number)
        page = pages[number]
        start = 100 if number == 1 else 0
        kind = page[start]
        if kind not in (2, 5, 10, 13):
            return
        count = struct.unpack_from(">H", page, start + 3)[0]
        header = start + (12 if kind in (2, 5) else 8)
        pointers = struct.unpack_from(f">{count}H", page, header)
        for pointer in pointers:
            pos = pointer
            if kind in (2, 5):
                child = struct.unpack_from(">I", page, pos)[0]
                yield from self._cells(pages, child, seen)
                pos += 4
                if kind == 5:  # a table's interior cell holds only a rowid
                    continue
            size, pos = _varint(page, pos)
            if kind == 13:
                _rowid, pos = _varint(page, pos)
            yield self._payload(pages, page, pos, size, table_leaf=kind == 13)
        if kind in (2, 5):
            yield from self._cells(pages, struct.unpack_from(">I", page, start + 8)[0], seen)

    def _payload(self, pages: Mapping[int, bytes], page: bytes, pos: int, size: int,
                 table_leaf: bool) -> bytes:
        u = self.usable
        most = u - 35 if table_leaf else (u - 12) * 64 // 255 - 23
        if size <= most:
            return page[pos:pos + size]
        least = (u - 12) * 32 // 255 - 23
        local = least + (size - least) % (u - 4)
        if local > most:
            local = least
        parts = [page[pos:pos + local]]
        collected = local
        overflow = struct.unpack_from(">I", page, pos + local)[0]
        while collected < size and overflow in pages:
            chunk = pages[overflow]
            take = min(u - 4, size - collected)
            parts.append(chunk[4:4 + take])
            collected += take
            overflow = struct.unpack_from(">I", chunk, 0)[0]
        return b"".join(parts)

    def own_payloads(self, pages: Mapping[int, bytes], number: int) -> list[bytes]:
        """The payloads of one page's own cells (an interior page's children left out)."""
        page = pages.get(number, b"")
        start = 100 if number == 1 else 0
        if len(page) <= start or page[start] not in (2, 10, 13):
            return []
        return list(self._cells(pages, number, set(pages) - {number}))

    def schema(self, pages: Mapping[int, bytes]) -> dict[str, int]:
        """Table and index name -> root page, from sqlite_master (page 1)."""
        roots = {}
        for payload in self._cells(pages, 1, set()):
            with _tolerant():
                values = sqlite_record(payload)
                if len(values) >= 4 and isinstance(values[3], int):
                    roots[str(values[1])] = values[3]
        return roots

    def rows(self, pages: Mapping[int, bytes], table: str) -> list[list[Any]]:
        root = self.schema(pages).get(table)
        found = []
        for payload in self._cells(pages, root, set()) if root else ():
            with _tolerant():
                found.append(sqlite_record(payload))
        return found

    def all_payloads(self, pages: Mapping[int, bytes]) -> list[bytes]:
        payloads = []
        for root in {1, *self.schema(pages).values()}:
            payloads.extend(self._cells(pages, root, set()))
        return payloads

    def overflow_pages(self, pages: Mapping[int, bytes], table: str) -> list[int]:
        """For each row of ``table`` in key order, the first overflow page its cell points to
        (0 when the row fits its page)."""
        root = self.schema(pages).get(table)
        result: list[int] = []
        if not root:
            return result
        u = self.usable
        most, least = (u - 12) * 64 // 255 - 23, (u - 12) * 32 // 255 - 23

        def walk(number: int) -> None:
            page = pages[number]
            kind = page[0]
            count = struct.unpack_from(">H", page, 3)[0]
            pointers = struct.unpack_from(f">{count}H", page, 12 if kind == 2 else 8)
            for pointer in pointers:
                pos = pointer
                if kind == 2:
                    walk(struct.unpack_from(">I", page, pos)[0])
                    pos += 4
                size, pos = _varint(page, pos)
                local = size
                if size > most:
                    local = least + (size - least) % (u - 4)
                    local = least if local > most else local
                result.append(struct.unpack_from(">I", page, pos + local)[0]
                              if size > most else 0)
            if kind == 2:
                walk(struct.unpack_from(">I", page, 8)[0])

        walk(root)
        return result

    def links(self) -> list[Link]:
        """Each committed transaction of the WAL that spent exactly one slip and stored exactly
        one ballot links the two: what it changed is the difference between the database before
        and after its frames."""
        def tables(pages: Mapping[int, bytes]) -> tuple[dict[str, int], dict[str, Any]]:
            slips = {str(r[0]): int(r[2]) for r in self.rows(pages, "slip") if len(r) == 3}
            ballots = {str(r[0]): r[3] for r in self.rows(pages, "ballot") if len(r) == 5}
            return slips, ballots

        found = []
        before = tables(self.state(0))
        for number in range(1, len(self.transactions) + 1):
            after = tables(self.state(number))
            spent = [h for h, s in after[0].items() if s and not before[0].get(h)]
            stored = [after[1][b] for b in after[1] if b not in before[1]]
            if len(spent) == 1 and len(stored) == 1:
                found.append(Link(spent[0], stored[0], f"WAL transaction {number}"))
            before = after
        return found


def shm_frames(shm: bytes) -> tuple[int, list[int]]:
    """SQLite's wal-index (``-shm``): the WAL's current frame count (mxFrame) and the page number
    recorded for each frame slot of the first index block, stale slots included (trailing
    zeros dropped)."""
    if len(shm) < 136:
        return 0, []
    (frames,) = struct.unpack_from("<I", shm, 16)
    slots = list(struct.unpack_from(f"<{min(4062, (len(shm) - 136) // 4)}I", shm, 136))
    while slots and slots[-1] == 0:
        slots.pop()
    return frames, slots


class _tolerant:
    """Skip a record that does not parse (a torn or foreign page): the attacker reads on."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, traceback: object) -> bool:
        return isinstance(value, (IndexError, ValueError, struct.error))


# --- the readers ----------------------------------------------------------------------------


def read_directory(storage: Storage, root: Path, label: str) -> None:
    """Every file under ``root``, as bytes."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            storage.sources[f"{label}:{path.relative_to(root)}"] = path.read_bytes()


def read_sqlite(storage: Storage, database: Path) -> None:
    """The main file, its ``-wal`` and ``-shm``, and its free pages, as a copy would have them."""
    wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
    storage.sqlite_wal = wal.read_bytes() if wal.exists() else b""
    storage.sqlite_main = database.read_bytes()
    storage.sources["sqlite:main file"] = storage.sqlite_main
    storage.sources["sqlite:-wal"] = storage.sqlite_wal
    storage.sources["sqlite:-shm"] = shm.read_bytes() if shm.exists() else b""
    image = SqliteImage(storage.sqlite_main, storage.sqlite_wal)
    pages = image.state(0)
    storage.sources["sqlite:free pages"] = b"".join(pages[n] for n in image.free_pages(pages)
                                                    if n in pages)


def lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def read_postgres(storage: Storage, conn: psycopg.Connection[Any], *, wal_from: int,
                  whole_database: bool = False) -> None:
    """As the postgres superuser, in the test's own database: every block of every table and
    index of the schema through pageinspect, then CHECKPOINT and the relation files (the whole
    database directory when ``whole_database``), and the WAL records that touch this database
    between ``wal_from`` and now."""
    relations = conn.execute("""
        SELECT c.oid::regclass::text, c.relname, pg_relation_filepath(c.oid),
               pg_relation_size(c.oid) / current_setting('block_size')::int
        FROM pg_class c
        WHERE c.relkind IN ('r', 'i', 't', 'S', 'm')
          AND (c.relnamespace = 'public'::regnamespace
               OR c.oid IN (SELECT reltoastrelid FROM pg_class
                            WHERE relnamespace = 'public'::regnamespace)
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (
                   SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'public'::regnamespace)))
        ORDER BY 1""").fetchall()
    inspected: dict[str, list[bytes]] = {}
    for regclass, name, _path, blocks in relations:
        pages = [bytes(row[0]) for row in conn.execute(
            "SELECT get_raw_page(%s, 'main', b) FROM generate_series(0, %s - 1) b",
            (regclass, blocks))]
        inspected[name] = pages
        storage.sources[f"pageinspect:{name}"] = b"".join(pages)
    storage.heap_pages["pageinspect"] = inspected
    conn.execute("CHECKPOINT")
    files: dict[str, list[bytes]] = {}
    if whole_database:
        directory = conn.execute("SELECT 'base/' || oid FROM pg_database "
                                 "WHERE datname = current_database()").fetchone()[0]
        paths = [f"{directory}/{name}" for (name,) in conn.execute(
            "SELECT pg_ls_dir(%s) ORDER BY 1", (directory,))]
    else:
        paths = []
        for _regclass, _name, path, _blocks in relations:
            paths += [path, f"{path}_fsm", f"{path}_vm"]
    by_path = {path: name for _r, name, path, _b in relations}
    for path in paths:
        data = conn.execute("SELECT CASE WHEN (pg_stat_file(%s, true)).size IS NOT NULL "
                            "THEN pg_read_binary_file(%s) END", (path, path)).fetchone()[0]
        if data is None:
            continue
        data = bytes(data)
        storage.sources[f"relation file:{path}"] = data
        if path in by_path:
            files[by_path[path]] = [data[i:i + PG_PAGE] for i in range(0, len(data), PG_PAGE)]
    storage.heap_pages["relation file"] = files
    _read_wal(storage, conn, wal_from)


def _read_wal(storage: Storage, conn: psycopg.Connection[Any], wal_from: int) -> None:
    database, segment, timeline, now = conn.execute("""
        SELECT (SELECT oid FROM pg_database WHERE datname = current_database()),
               pg_size_bytes(current_setting('wal_segment_size')),
               substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8),
               (pg_current_wal_flush_lsn() - '0/0')::bigint""").fetchone()
    filenodes = dict(conn.execute(
        "SELECT relname, pg_relation_filenode(oid)::text FROM pg_class "
        "WHERE relname IN ('slip', 'ballot') AND relnamespace = 'public'::regnamespace"))
    # One pass over the range: this database's records, and every COMMIT (they carry no block).
    listed = conn.execute("""
        SELECT (start_lsn - '0/0')::bigint, (end_lsn - '0/0')::bigint, xid::text,
               resource_manager, record_type, block_ref, description
        FROM pg_get_wal_records_info(%s::text::pg_lsn, %s::text::pg_lsn)
        WHERE block_ref LIKE %s
           OR (resource_manager = 'Transaction' AND record_type = 'COMMIT')""",
                          (_lsn_text(wal_from), _lsn_text(now), f"%/{database}/%")).fetchall()
    records = [r[:6] for r in listed if r[3] != "Transaction" or r[4] != "COMMIT"]
    commit_times = {r[2]: r[6] for r in listed if r[3] == "Transaction" and r[4] == "COMMIT"}
    pages: dict[int, bytes] = {}

    def page(address: int) -> bytes:
        if address not in pages:
            number, offset = divmod(address, segment)
            name = f"{timeline}{number // (0x100000000 // segment):08X}" \
                   f"{number % (0x100000000 // segment):08X}"
            run = 64 * PG_PAGE
            start = offset - offset % run
            data = conn.execute("SELECT pg_read_binary_file(%s, %s, %s, true)",
                                (f"pg_wal/{name}", start, min(run, segment - start))).fetchone()[0]
            data = bytes(data or b"")
            base = address - offset + start
            for i in range(0, len(data), PG_PAGE):
                pages[base + i] = data[i:i + PG_PAGE]
        return pages.get(address, b"")

    chunks = []
    by_xid: dict[str, set[str]] = {}
    for start, end, xid, manager, kind, refs in records:
        chunks.append(_logical(page, start, end))
        if manager == "Heap" and kind.startswith("INSERT") and f"/{filenodes['ballot']} " in refs:
            by_xid.setdefault(xid, set()).add("ballot")
        if manager == "Heap" and "UPDATE" in kind and f"/{filenodes['slip']} " in refs:
            by_xid.setdefault(xid, set()).add("slip")
    storage.sources["wal:records of this database"] = b"".join(chunks)
    linking = [xid for xid, parts in by_xid.items() if parts == {"slip", "ballot"}]
    storage.wal_linking_xids = len(linking)
    storage.wal_commit_times = sum(
        1 for xid in linking
        if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", commit_times.get(xid, "")))


def _lsn_text(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def _logical(page: Callable[[int], bytes], start: int, end: int) -> bytes:
    """A record's bytes with the WAL page headers that cut it taken out (24 bytes, or 40 on a
    segment's first page)."""
    out = []
    pos = start
    while pos < end:
        base = pos - pos % PG_PAGE
        data = page(base)
        if len(data) < 24:
            break
        header = 40 if struct.unpack_from("<H", data, 2)[0] & 0x0002 else 24
        pos = max(pos, base + header)
        stop = min(end, base + PG_PAGE)
        out.append(data[pos - base:stop - base])
        pos = stop
    return b"".join(out)
