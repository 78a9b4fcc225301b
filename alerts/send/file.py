"""Write each message to `<message-id>.eml`, atomically, so a retry overwrites instead of duplicating."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path

from alerts.send import SendError

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._@+-]+")
_NAME_MAX = 120


def eml_name(message_id: str) -> str:
    """A file name that is a pure function of the Message-ID and safe on any filesystem."""
    bare = message_id.strip().strip("<>").strip()
    safe = _UNSAFE_NAME.sub("_", bare).strip("._") or "message"
    if safe != bare or len(safe) > _NAME_MAX:
        # Sanitising could map two ids to one name; a hash of the original keeps them apart.
        digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        safe = f"{safe[:_NAME_MAX]}-{digest}"
    return f"{safe}.eml"


class FileSender:
    """Development and dry-run backend: the outbox directory is the mail server."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.last_path: Path | None = None

    def path_for(self, message: EmailMessage) -> Path:
        """Where `message` would be written."""
        message_id = message.get("Message-ID")
        if not message_id:
            raise SendError("file outbox: message has no Message-ID (needed to make retries idempotent)")
        return self.directory / eml_name(str(message_id))

    def send(self, message: EmailMessage) -> None:
        """Write to a temp file in the same directory, fsync, then rename over the final name."""
        target = self.path_for(message)
        try:
            data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        except (ValueError, TypeError, UnicodeError) as exc:
            raise SendError(f"file outbox {self.directory}: cannot serialise message: {exc}") from exc
        tmp_name: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml.part")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
            tmp_name = None
            self._fsync_directory()
        except OSError as exc:
            raise SendError(f"file outbox {target}: {exc.strerror or exc}") from exc
        finally:
            if tmp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
        self.last_path = target

    def _fsync_directory(self) -> None:
        """Make the rename itself durable (best effort: not every platform can open a directory)."""
        try:
            dir_fd = os.open(self.directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)
