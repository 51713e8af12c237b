"""The one consumer of the reporting job's token, in Python (the sibling of ../consumer.ts, same
rules, same state file). Commvault rotates both secrets at every renew and revokes the whole token
when an older pair is sent again, so this consumer:
- takes the stack's (bootstrap) pair once, for a first renew, and from then on renews only from
  its own latest pair, kept in a state file it writes atomically before using a new pair;
- renews when the access token has less than 5 minutes left (or has expired, within the refresh
  window), and otherwise just uses it;
- switches to the stack's pair when the stack shows another token (a rotation: a new generation
  and a new token id), and never goes back to a token it has left;
- with --identity, opens the stack's sealed pair (`sealedPair`, age, armored) instead of reading
  a plaintext one;
- calls the API as Commvault's Python SDK does with an access token (`Authtoken: Bearer <t>`);
- never prints a secret.

    pulumi stack output --json --show-secrets > stack-output.json     # the pipeline's step
    python consumer.py --api-url https://commserve.example.com/commandcenter/api --stack-output stack-output.json
"""
import argparse
import datetime
import hashlib
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from state import load_state, locked, save_state  # noqa: E402  (beside this file, not a package)

RENEW_BEFORE_SECONDS = 300
TIMEOUT_SECONDS = 30


class ConsumerError(Exception):
    """A stop with the reason and the fix; never quotes a secret."""


def iso(s):
    return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _kind(v):
    """A JSON value's type as a message names it (never the value: it may sit beside secrets)."""
    return {bool: "boolean", str: "string", float: "number with a fraction", list: "list", dict: "object"}.get(type(v), type(v).__name__)


def open_sealed_pair(sealed, identity_file):
    """The pair inside the stack's `sealedPair`: age, ASCII-armored, over the JSON
    {"accessToken": ..., "refreshToken": ...}, opened with the age identities in `identity_file`."""
    try:
        import pyrage
    except ImportError:
        raise ConsumerError("--identity needs the pyrage package: pip install -r requirements.txt") from None
    try:
        with open(identity_file, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConsumerError(f"cannot read the identity file {identity_file}: {e.strerror}") from None
    if "BEGIN AGE ENCRYPTED FILE" in text:
        raise ConsumerError(f"{identity_file} is itself an age-encrypted file, not an identity; give the age identity "
                            "file (age-keygen's output, a line AGE-SECRET-KEY-1...) that only this consumer's user can read")
    keys = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    try:
        identities = [pyrage.x25519.Identity.from_str(k) for k in keys]
    except Exception:
        identities = []  # the error would quote the line, a secret key
    if not identities:
        raise ConsumerError(f"{identity_file} holds no age identity (a line AGE-SECRET-KEY-1..., as age-keygen writes)")
    try:
        plain = pyrage.decrypt(sealed.encode(), identities)
    except Exception:
        raise ConsumerError(f"the stack output's sealedPair does not open with {identity_file}: it was sealed to "
                            "another recipient (check the stack's sealTo), or it is not an age file") from None
    try:
        pair = json.loads(plain)
    except ValueError:
        pair = None
    if not isinstance(pair, dict) or not isinstance(pair.get("accessToken"), str) or not pair["accessToken"]:
        raise ConsumerError("the stack output's sealedPair opened, but holds no accessToken")
    if not isinstance(pair.get("refreshToken"), str) or not pair["refreshToken"]:
        raise ConsumerError("the stack output's sealedPair holds no refreshToken: this consumer renews, so the token's "
                            "scope must be All, Custom or Hyperscale")
    return pair


def fingerprint(access_token):
    """The provider's secretFingerprint: the first 16 hex digits of SHA-256 over the access token."""
    return hashlib.sha256(access_token.encode()).hexdigest()[:16]


def parse_stack_output(value, identity_file=None):
    """The stack outputs the consumer needs, checked; messages never quote a value."""
    o = value if isinstance(value, dict) else {}
    if identity_file:
        sealed = o.get("sealedPair")
        if sealed == "[secret]":
            raise ConsumerError("the stack output's sealedPair is masked: write it with `pulumi stack output --json --show-secrets`")
        if not isinstance(sealed, str) or not sealed:
            raise ConsumerError("--identity was given, but the stack output has no sealedPair: set the token's sealTo "
                                "and export sealedPair, or drop --identity to read the plaintext pair")
        pair = open_sealed_pair(sealed, identity_file)
        # The stack publishes the fingerprint beside the ciphertext: a mismatch is an output file
        # pieced together from two deployments.
        if isinstance(o.get("secretFingerprint"), str) and o["secretFingerprint"] != fingerprint(pair["accessToken"]):
            raise ConsumerError("the stack output's sealedPair does not match its secretFingerprint: the file mixes two "
                                "deployments; write it again with `pulumi stack output --json --show-secrets`")
    else:
        if isinstance(o.get("sealedPair"), str) and not o.get("accessToken"):
            raise ConsumerError("the stack output's pair is sealed (sealedPair): pass --identity <age identity file>")
        for key in ("accessToken", "refreshToken"):
            if o.get(key) == "[secret]":
                raise ConsumerError(f"the stack output's {key} is masked: write it with `pulumi stack output --json --show-secrets`")
            if not isinstance(o.get(key), str) or not o.get(key):
                raise ConsumerError(f"the stack output has no {key}")
        pair = o
    if o.get("tokenId") is None:
        raise ConsumerError("the stack output has no tokenId")
    if not _is_int(o.get("tokenId")):
        # A present id of the wrong type is not a missing one: say which, so the user looks at the export.
        raise ConsumerError(f"the stack output's tokenId is a {_kind(o['tokenId'])}, not a number: export the token's "
                            "tokenId output itself (`pulumi stack output --json --show-secrets`), not a text made from it")
    if o.get("generation") is not None and not _is_int(o.get("generation")):
        raise ConsumerError("the stack output's generation is not a number")
    return {"tokenId": o["tokenId"], "generation": o.get("generation"),
            "accessToken": pair["accessToken"], "refreshToken": pair["refreshToken"]}


def parse_json(text, what):
    """json's own message quotes the text, which here holds secrets."""
    try:
        return json.loads(text)
    except ValueError:
        raise ConsumerError(f"{what} is not JSON") from None


def unsent_reason(reason, url):
    """Why a request never left this machine, in words that name the fix; never quotes a secret."""
    host = urllib.parse.urlsplit(url).netloc
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (f"the TLS certificate of {host} was not trusted ({reason.verify_message}): give its CA with "
                "SSL_CERT_FILE=<ca.pem> (a bundle with the public CAs too, when the server needs them)")
    if isinstance(reason, ssl.SSLError):
        return f"the TLS handshake with {host} failed ({reason.reason or reason}); is --api-url's scheme right?"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve {urllib.parse.urlsplit(url).hostname} ({reason.strerror}); check --api-url and DNS"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no connection to {host} within {TIMEOUT_SECONDS} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"{host} refused the connection; check --api-url and that the server is up"
    return f"cannot reach {host} ({getattr(reason, 'strerror', None) or reason})"


def call(url, method, headers, body=None):
    """(status, body dict); ("unsent", why) when the request never reached the server (no connection,
    DNS, a TLS certificate refused: nothing can have been committed); ("lost", why) when it was sent
    and no usable answer came (it may have been committed). A body that is not Commvault's JSON reads as {}."""
    req = urllib.request.Request(url, method=method, headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
        retry_after = e.headers.get("Retry-After") if e.headers else None
        if status == 429:
            return 429, {"retryAfter": retry_after.strip() if isinstance(retry_after, str) else None}
    except urllib.error.URLError as e:
        # urllib raises URLError only for what fails in connecting and writing the request (the
        # answer's failures come as they are), so the server never had the whole request.
        return "unsent", unsent_reason(e.reason, url)
    except (socket.timeout, TimeoutError):
        return "lost", f"no answer within {TIMEOUT_SECONDS} s"
    except (http.client.HTTPException, OSError):
        return "lost", "the connection failed after the request was sent"
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None  # an HTML page or an empty answer: not Commvault's word
    return status, parsed if isinstance(parsed, dict) else {}


JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def who_am_i(api_url, access_token):
    """The work: here WhoAmI, as cvpysdk's `Commcell(authtoken="Bearer <t>")` asks it (POST, no body).
    None when the token is refused (401)."""
    status, body = call(f"{api_url}/WhoAmI", "POST", {"Accept": "application/json", "Authtoken": f"Bearer {access_token}"})
    if status in ("lost", "unsent"):
        raise ConsumerError(f"WhoAmI: {body}")
    if status == 401:
        return None
    user = (body.get("user") or {}).get("userName") if isinstance(body.get("user"), dict) else None
    user = user if user is not None else body.get("userName")
    if status != 200 or not isinstance(user, str):
        raise ConsumerError(f"WhoAmI answered HTTP {status}")
    return user


LOST_PAIR = (
    "a renew got no usable answer, so Commvault may have rotated this pair already, and sending it again could be taken "
    "as a replay, which revokes the token. This consumer will not renew it again. Ask for a new secret: give the "
    "token's rotationTrigger (Python rotation_trigger) a new value in the program that declares it and run `pulumi up` "
    "(the token-consumer example reads it from its stack config: `pulumi config set token-consumer:rotationTrigger "
    "\"$(date -u +%FT%T)\" && pulumi up`; another program's key is the one it passes as rotationTrigger, see "
    "`pulumi config`); the next run switches to it"
)


def renew(api_url, file, state, now):
    """Renews from the state's pair, writing the flag before and the new pair after, both atomically."""
    tid = state["tokenId"]
    if state.get("renewSentAt") is not None:
        raise ConsumerError(f"token {tid}: at {iso(state['renewSentAt'])} {LOST_PAIR}")
    if state.get("refreshWindowEndsAt") is not None and now > state["refreshWindowEndsAt"]:
        raise ConsumerError(f"token {tid} is dead: its refresh window ended at {iso(state['refreshWindowEndsAt'])}; "
                            "`pulumi up --refresh` replaces it, and the next run switches to the new token")
    save_state(file, {**state, "renewSentAt": now})
    status, b = call(f"{api_url}/V4/AccessToken/Renew", "POST", JSON_HEADERS,
                     {"accessToken": state["accessToken"], "refreshToken": state["refreshToken"]})
    if status == "unsent":
        # Never reached the server: the pair is unspent and the flag goes, so the next run renews it.
        save_state(file, {**state, "renewSentAt": None})
        raise ConsumerError(f"token {tid}: the renew was not sent: {b}; the pair is unspent, the next run tries again")
    if status == "lost":
        raise ConsumerError(f"token {tid}: the renew's answer was lost ({b}); {LOST_PAIR}")
    if status == 429:
        # Refused before it was handled (too many requests): nothing was renewed, the pair is unspent.
        save_state(file, {**state, "renewSentAt": None})
        after = b.get("retryAfter")
        when = f"after {after} s" if isinstance(after, str) and after.isdigit() else "later"
        raise ConsumerError(f"token {tid}: Commvault refused the renew for now (HTTP 429, too many requests): nothing "
                            f"was renewed and the pair is unspent; run again {when}")
    try:
        code = int(b.get("errorCode") or 0)
    except (TypeError, ValueError):
        code = 1
    # A 4xx, or Commvault's error code in a 200 (some servers answer so), is a refusal: nothing was
    # committed and the pair is still ours. A 5xx may come from a proxy after the server committed.
    if 400 <= status < 500 or (status < 300 and code != 0):
        save_state(file, {**state, "renewSentAt": None})
        why = b["errorMessage"] if isinstance(b.get("errorMessage"), str) else f"HTTP {status}"
        # Gone: a 404, or the same refusal as HTTP 200 (some servers answer so), known by its words.
        gone = status == 404 or (status < 300 and "not found" in why.lower())
        hint = ("the token no longer exists (retired, revoked, or replaced)" if gone
                else "if its life is over, `pulumi up --refresh` extends or replaces it")
        raise ConsumerError(f"token {tid}: Commvault refused the renew ({why}): {hint}; the next run goes on, "
                            "or switches to the stack's new token")
    if (status != 200 or not isinstance(b.get("accessToken"), str) or not isinstance(b.get("refreshToken"), str)
            or not _is_int(b.get("tokenExpiryTimestamp"))):
        raise ConsumerError(f"token {tid}: the renew answered HTTP {status} without a new pair; {LOST_PAIR}")
    nxt = {
        **state,
        "accessToken": b["accessToken"],
        "refreshToken": b["refreshToken"],
        "accessTokenExpiresAt": b["tokenExpiryTimestamp"],
        "refreshWindowEndsAt": b.get("refreshTokenExpiryTimestamp") if _is_int(b.get("refreshTokenExpiryTimestamp")) else None,
        "renewableUntil": b["renewableUntilTimestamp"] if _is_int(b.get("renewableUntilTimestamp")) else state.get("renewableUntil"),
        "renewSentAt": None,
    }
    # On disk before any use: if this write fails, the flag above stays and no older pair is ever sent.
    save_state(file, nxt)
    return nxt


def run_once(stack_output, state_file, api_url, now=None, renew_before=RENEW_BEFORE_SECONDS):
    """One run: pick the pair, renew it if due, do the work. Holds the state file's lock throughout.
    `stack_output` is what parse_stack_output returns. Returns a report with no secret in it."""
    out = stack_output
    now = int(now if now is not None else datetime.datetime.now(datetime.timezone.utc).timestamp())
    api_url = api_url.rstrip("/")
    with locked(state_file):
        state = load_state(state_file)
        # A token this consumer has not had yet: the first run, a rotation, or a replacement. A token
        # it has had and left (an older stack output) is ignored: its bootstrap pair is spent.
        switched = state is None or (out["tokenId"] != state["tokenId"] and out["tokenId"] not in state["adopted"])
        if switched:
            state = {**out, "accessTokenExpiresAt": 0, "adopted": [*(state["adopted"] if state else []), out["tokenId"]]}
        current = state
        # A bootstrap pair is renewed at once: its access token has most likely expired, and the copy
        # in Pulumi state stops working for anyone who can read the state.
        renewed = now >= current["accessTokenExpiresAt"] - renew_before
        if renewed:
            current = renew(api_url, state_file, current, now)
        user = who_am_i(api_url, current["accessToken"])
        if user is None and not renewed:
            # Refused before its time by our clock: the server's clock is ahead of ours (a renew fixes
            # that), or the token was revoked (the renew's refusal says so). Renew once and retry.
            current = renew(api_url, state_file, current, now)
            renewed = True
            user = who_am_i(api_url, current["accessToken"])
        if user is None:
            raise ConsumerError(f"token {current['tokenId']}: a freshly renewed access token was refused (HTTP 401): "
                                "check the token's IP allow list")
        report = {
            "tokenId": current["tokenId"],
            "generation": current.get("generation"),
            "switched": switched,
            "renewed": renewed,
            "user": user,
            "accessTokenExpiresAt": iso(current["accessTokenExpiresAt"]),
            "renewableUntil": iso(current["renewableUntil"]) if current.get("renewableUntil") is not None else None,
        }
        return {k: v for k, v in report.items() if v is not None}


def stack_output_of(file, stack, identity_file):
    """The stack outputs from a file the pipeline wrote, or straight from `pulumi stack output`."""
    if file:
        with open(file, encoding="utf-8") as f:
            return parse_stack_output(parse_json(f.read(), file), identity_file)
    args = ["pulumi", "stack", "output", "--json", "--show-secrets", *(["--stack", stack] if stack else [])]
    text = subprocess.run(args, check=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True).stdout
    return parse_stack_output(parse_json(text, "`pulumi stack output`"), identity_file)


def now_from_env():
    """COMMVAULT_TOKENS_NOW (epoch seconds or RFC 3339) moves the consumer's clock with the provider's, for tests."""
    value = os.environ.get("COMMVAULT_TOKENS_NOW", "").strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        t = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConsumerError("COMMVAULT_TOKENS_NOW is neither epoch seconds nor an RFC 3339 time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())


def main(argv=None):
    p = argparse.ArgumentParser(description="Renews a Commvault access token handed over by a Pulumi stack, and uses it.")
    p.add_argument("--api-url", required=True, help="the API base, e.g. https://commserve.example.com/commandcenter/api")
    p.add_argument("--stack-output", help="the file `pulumi stack output --json --show-secrets` wrote; default: run it")
    p.add_argument("--stack", help="the stack, when running `pulumi stack output` here")
    p.add_argument("--state", default=".consumer/state.json", help="this consumer's own state (default .consumer/state.json)")
    p.add_argument("--identity", help="an age identity file that opens the stack's sealedPair")
    a = p.parse_args(argv)
    try:
        report = run_once(stack_output_of(a.stack_output, a.stack, a.identity), a.state, a.api_url, now_from_env())
    except (ConsumerError, ValueError, RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print(f"token-consumer: {e}", file=sys.stderr)
        return 1
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
