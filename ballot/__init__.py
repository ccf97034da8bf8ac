"""The Flask app: collecting ballots and running assessments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.support import NullTranslations
from flask import Blueprint, Flask, Response, current_app, g, has_request_context, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale, get_translations
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from ballot import config, db

ROOT = Path(__file__).resolve().parent.parent

class BoundedInt(IntegerConverter):
    """``<int:...>`` limited to the database's integer range."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


babel = Babel()
csrf = CSRFProtect()


def select_locale() -> str:
    """Chinese unless the visitor chose English (a link on every page sets ``lang``); outside a
    request Chinese too (the CLI speaks the operator's language, ``ballot.cli.command_unit``)."""
    if not has_request_context():
        return "zh"
    lang = session.get("lang")
    if lang in ("zh", "en"):
        return str(lang)
    return "zh"


def _translations() -> NullTranslations:
    """The catalog of the request's language. Flask-Babel's own template hook looks it up again
    for every string (a third of a page's rendering time); this keeps it for the request, and
    looks again if the locale object changes (``force_locale``)."""
    locale = get_locale()
    cached = g.get("_translations")
    if cached is None or cached[0] is not locale:
        cached = g._translations = (locale, get_translations())
    translations: NullTranslations = cached[1]
    return translations


def _gettext(message: str) -> str:
    return _translations().ugettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ungettext(singular, plural, n)


def _pgettext(context: str, message: str) -> str:
    return _translations().upgettext(context, message)


def _npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _translations().unpgettext(context, singular, plural, n)


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app; ``overrides`` (tests) beat the environment, which beats the defaults."""
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.update(config.load(Path(app.instance_path), overrides))
    # Ids in URLs are 32-bit: a bigger number is a 404, not an overflow in the database.
    app.url_map.converters["int"] = BoundedInt
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    if app.config["TRUSTED_PROXIES"]:
        # Behind nginx: the client's address comes from X-Forwarded-For (sign-in rate limit).
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    # Voting encrypts a ballot before it takes the write lock (ballot/voting/services.py).
    db.init_app(app, own_lock=("voting.",))
    # Before CSRF reads any form: voter pages refuse big bodies with 413.
    app.before_request(_voter_bodies_are_small)
    app.before_request(_no_nul_characters)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    # Templates translate through the request's catalog, looked up once per request. The
    # method is added to the environment by the jinja2.ext.i18n extension, at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext,
        newstyle=True,
    )

    from ballot import errors
    from ballot.accounts import access

    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    errors.init_app(app)
    app.before_request(access.load_user)
    # After CSRF has read the body and the account is known (ballot/db.py).
    app.before_request(db.take_the_write_lock)
    _template_helpers(app)

    from ballot.cli import register

    register(app)

    @app.after_request
    def _no_referrer(response: Response) -> Response:
        # Ballot pages never leak their address to another site, and are never cached.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.endpoint and request.endpoint.startswith("voting."):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _blueprints() -> list[Blueprint]:
    """One blueprint per feature package, named after it; a package's view modules all add
    their routes to it (accounts: sign-in and the admin's accounts pages; scores: scorers,
    the city's P/T page and the scorers' sheets)."""
    from ballot.accounts import admin_views  # noqa: F401  (routes on accounts.views.bp)
    from ballot.accounts.views import bp as accounts
    from ballot.assessments.views import bp as assessments
    from ballot.audit.views import bp as audit
    from ballot.box.views import bp as box
    from ballot.evaluations.views import bp as evaluations
    from ballot.paper.views import bp as paper
    from ballot.reports.views import bp as reports
    from ballot.results.views import bp as results
    from ballot.scores import bp as scores
    from ballot.scores import pt_views, sheet_views, views  # noqa: F401  (routes on scores.bp)
    from ballot.voting.views import bp as voting
    from ballot.workspace.views import bp as workspace

    return [voting, accounts, workspace, evaluations, paper, assessments, scores, results,
            reports, audit, box]


#: The scorers' own pages, reached by a private link: small bodies, like the voter's.
SHEET_ENDPOINTS = frozenset({"scores.open_sheet", "scores.sheet"})


def _voter_bodies_are_small() -> None:
    """A ballot is a few KiB; anything over VOTER_MAX_BYTES on a voter or sheet page is refused."""
    endpoint = request.endpoint or ""
    if endpoint.startswith("voting.") or endpoint in SHEET_ENDPOINTS:
        request.max_content_length = current_app.config["VOTER_MAX_BYTES"]


def _no_nul_characters() -> ResponseReturnValue | None:
    """No form field or query value holds NUL: PostgreSQL cannot store it in text and no name
    or number has it, so such a request is refused whole, before any page reads it."""
    values = [*request.args.values()]
    if request.method == "POST":
        values += request.form.values()
    if any("\x00" in value for value in values):
        from flask_babel import gettext as _

        from ballot.errors import render_error

        return render_error(400, _("提交的内容无效"),
                            _("提交的内容包含空字符（NUL），未保存任何内容。请检查后重新输入。"))
    return None


def _url_or_none(endpoint: str, **values: Any) -> str | None:
    """url_for, or None for an endpoint that does not exist (a page not built yet)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _template_helpers(app: Flask) -> None:
    from ballot import labels
    from ballot.accounts import access

    app.jinja_env.globals.update(
        KIND_LABELS=labels.KIND_LABELS,
        STATE_LABELS=labels.STATE_LABELS,
        RATING_LABELS=labels.RATING_LABELS,
        CLOSED_REASON_LABELS=labels.CLOSED_REASON_LABELS,
        STAGE_LABELS=labels.STAGE_LABELS,
        ROLE_LABELS=labels.ROLE_LABELS,
        OFFICE_LABELS=labels.OFFICE_LABELS,
        GRADE_LABELS=labels.GRADE_LABELS,
        lang_next=_lang_next,
        evaluation_title=labels.evaluation_title,
        evaluation_year_title=labels.evaluation_year_title,
        get_locale=get_locale,
        url_or_none=_url_or_none,
        current_user=access.current_user,
    )


def _lang_next() -> str:
    """Where the language switch returns to: this page, or the ballot for the voting POSTs."""
    if request.path.startswith("/s/"):
        return "/ballot"
    if request.method == "GET":
        return request.path
    for prefix in ("/ballot", "/sheet"):
        if request.path.startswith(prefix):
            return prefix
    return "/"
