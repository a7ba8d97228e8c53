"""gunicorn's logger with the status and activation tokens redacted from the access log.

``gunicorn --logger-class config.gunicorn_logging.RedactingLogger`` (the Dockerfile's command and
docker-compose.yml's web service): every value the access-log format can use (the request line,
the path, the referer, headers) goes through :func:`common.logredact.redact`.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from common.logredact import redact


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
