"""Refusals, and clear error pages in the visitor's language for every 4xx, never a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


class Refusal(Exception):
    """A service's "no": the input or the state does not allow what was asked, and nothing was
    changed (the unit of work rolls back). The one refusal type (STYLE habit 14): every
    service's own (``EvaluationError``, ``RosterError``...) derives from it.

    ``message`` is a translatable string, lazy (``_l("...%(n)s...", n=5)``) or already
    translated: ``str(refusal)`` gives it in the language of the moment, the visitor's on a page
    and the operator's in the CLI. A view that does not catch it answers 422 with the message
    (``init_app``); ``status`` overrides that (409 for "not at this stage").
    """

    status = 422

    def __init__(self, message: object, *, problems: list[object] | None = None) -> None:
        super().__init__(message)
        self._message = message
        #: Several problems at once (a roster's rows), each translatable; ``message`` sums up.
        self.problems = list(problems or [])

    @property
    def message(self) -> str:
        """The message in the current language."""
        return str(self._message)

    def __str__(self) -> str:
        return self.message

    def lines(self) -> list[str]:
        """Every problem as text in the current language; the message alone if none."""
        return [str(p) for p in self.problems] or [self.message]


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求无效"), _("提交的内容不完整或已被改动，未保存任何内容。请返回重试。")),
        403: (_("无权访问"), _("您没有权限打开此页面。")),
        404: (_("页面不存在"), _("找不到此页面，请检查链接是否完整。")),
        405: (_("操作无效"), _("此页面不接受这种操作。")),
        413: (_("提交内容过大"), _("提交的内容超过了允许的大小，未保存任何内容。")),
        500: (_("系统出错"), _("服务器处理时出错，未保存任何内容。请稍后重试或联系考核组。")),
    }


def render_error(status: int, title: str | None = None,
                 message: str | None = None) -> tuple[str, int]:
    try:
        default_title, default_message = _messages().get(status, (_("出错了"), ""))
        page = render_template(
            "errors/error.html",
            status=status,
            title=title or default_title,
            message=message or default_message,
        )
    except Exception:  # the error page itself failed: still no traceback for the visitor
        page = "<!doctype html><meta charset=utf-8><title>错误</title><p>系统出错，请稍后重试。</p>"
    return page, status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        return render_error(
            400,
            _("页面已过期"),
            _("此页面的安全校验已失效（例如等待过久或 Cookie 被禁用），未保存任何内容。请重新打开链接。"),
        )

    @app.errorhandler(Refusal)
    def _refused(refusal: Refusal) -> tuple[str, int]:
        return render_error(refusal.status, _("未能完成操作"), "；".join(refusal.lines()))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error")
        return render_error(InternalServerError.code)
