"""The consumer's own record of its token: the only place its current pair lives.

The file and its lock are the ones ../state.ts writes and takes (same JSON keys, same lock
protocol), so the Python and the Node.js consumer can hand one state file over, and never renew it
at the same time.

Keys: tokenId, generation?, accessToken, refreshToken, accessTokenExpiresAt (epoch seconds, 0 for
a bootstrap pair not yet renewed), refreshWindowEndsAt?, renewableUntil?, renewSentAt? (set and
written before a renew is sent, cleared when its answer is: found set, the pair may be spent),
adopted (token ids whose bootstrap pair this consumer has used: never again).
"""
import contextlib
import errno
import json
import os

KEEP_ADOPTED = 50


def load_state(file):
    """The state in `file`, or None on the first run. Never quotes the file: it holds secrets."""
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    try:
        s = json.loads(text)
    except ValueError:
        s = None  # json's message would quote the text, secrets included
    s = s if isinstance(s, dict) else {}
    ok = (_is_int(s.get("tokenId")) and isinstance(s.get("accessToken"), str) and isinstance(s.get("refreshToken"), str)
          and _is_number(s.get("accessTokenExpiresAt")) and isinstance(s.get("adopted"), list))
    if not ok:
        raise ValueError(f"{file} is not a consumer state file; move it away only if this consumer never renewed, "
                         "else its token may be revoked")
    return s


def save_state(file, state):
    """Replaces the state file atomically (a new file, flushed, then renamed over the old one), so a
    crash leaves either the old pair or the new one, never half of either. Readable by its owner only."""
    folder = os.path.dirname(file) or "."
    os.makedirs(folder, mode=0o700, exist_ok=True)
    clean = {k: v for k, v in state.items() if v is not None}
    clean["adopted"] = list(state.get("adopted", []))[-KEEP_ADOPTED:]
    tmp = f"{file}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(clean, indent=2).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, file)
    # The rename itself must reach the disk before the new pair is used.
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError as e:
        return e.errno == errno.EPERM


@contextlib.contextmanager
def locked(file):
    """Holds `<file>.lock` for the block. Two runs renewing the same pair at once would be a replay,
    which makes Commvault revoke the token: a run that overlaps another (a slow cron job) stops
    instead. A lock left by a process that no longer exists (a crash) is taken over."""
    lock = f"{file}.lock"
    os.makedirs(os.path.dirname(lock) or ".", mode=0o700, exist_ok=True)
    fd = None
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            if attempt > 0:
                raise
            # An empty lock is one being taken right now: only a pid that is gone makes it stale.
            with open(lock, encoding="utf-8") as f:
                text = f.read().strip()
            holder = int(text) if text.isdigit() else 0
            if not (holder > 0 and not _alive(holder)):
                raise RuntimeError(f"another run (pid {holder or '?'}) holds {lock}; this one stops so that the two "
                                   "never renew the same pair") from None
            with contextlib.suppress(FileNotFoundError):
                os.remove(lock)
    try:
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.remove(lock)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
