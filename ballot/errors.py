"""Clear error pages in the visitor's language for every 4xx, and never a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求无效"), _("提交的内容不完整或已被改动，未保存任何内容。请返回重试。")),
        403: (_("无权访问"), _("您没有权限打开此页面。")),
        404: (_("页面不存在"), _("找不到此页面，请检查链接是否完整。")),
        405: (_("操作无效"), _("此页面不接受这种操作。")),
        413: (_("提交内容过大"), _("提交的内容超过了允许的大小，未保存任何内容。")),
        500: (_("系统出错"), _("服务器处理时出错，未保存任何内容。请稍后重试或联系考核组。")),
    }


def render_error(status: int, title: str | None = None, message: str | None = None):  # type: ignore[no-untyped-def]
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
    def _csrf(error: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(
            400,
            _("页面已过期"),
            _("此页面的安全校验已失效（例如等待过久或 Cookie 被禁用），未保存任何内容。请重新打开链接。"),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):  # type: ignore[no-untyped-def]
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error")
        return render_error(InternalServerError.code)
