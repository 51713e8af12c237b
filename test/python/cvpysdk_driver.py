"""Commvault's own Python SDK (cvpysdk, pinned in scripts/python-requirements.txt) driving the
emulator through its own code: `Commcell(...)` (reachability check, login, WhoAmI) and the access-token
methods of `cvpysdk.security.user.User`. test/emulator/cvpysdk.test.ts runs one scenario per
process and checks the printed JSON against the emulator's request log and store.

    python cvpysdk_driver.py <scenario> <api base>     e.g. ... lifecycle http://127.0.0.1:8400/commandcenter/api

It prints one JSON object and never a secret: tokens appear as fingerprints (`fp`), which the test
computes the same way from the emulator's store.
"""
import hashlib
import json
import os
import sys
from urllib.parse import urlparse

import requests
from cvpysdk.commcell import Commcell
from cvpysdk.exception import SDKException
from cvpysdk.security.user import User

ADMIN = ("admin", "admin-password")
ALICE = ("alice", "alice-password")
SVC_BACKUP = 21
SECRETS = ("accessToken", "refreshToken")

# Every request the SDK sends, as "METHOD path?query" and whether it carried an Authtoken header:
# the SDK calls requests.request for each (cvpysdk.py _request); this only watches.
SENT = []
_request = requests.request


def _watched(method, url, **kwargs):
    u = urlparse(url)
    auth = (kwargs.get("headers") or {}).get("Authtoken")
    SENT.append({"call": f"{method} {u.path}{'?' + u.query if u.query else ''}", "auth": auth.split(" ")[0] if auth else None})
    return _request(method, url, **kwargs)


requests.request = _watched


def fp(secret):
    """A secret's fingerprint: enough to tell secrets apart, nothing to use."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def shown(info):
    """An SDK answer with its secrets replaced by their fingerprints."""
    return {k: (fp(v) if k in SECRETS and isinstance(v, str) else v) for k, v in info.items()}


def failure(run):
    """What the SDK raised: its exception's module and id, and its message (the server's words in it)."""
    try:
        run()
    except SDKException as e:
        return {"sdk": f"{e.exception_module} {e.exception_id}", "message": e.exception_message}
    return {"sdk": None}


def commcell(base, user=None, password=None, authtoken=None):
    host = urlparse(base).netloc
    return Commcell(host, user, password, authtoken=authtoken, web_service_url=base)


def user_of(cc, user_id):
    """The SDK's User without its constructor: `User(...)` reads /V4/User, which is outside the
    contract (emulator/README.md); the token methods use only the commcell and the user id."""
    u = User.__new__(User)
    u._commcell_object, u._user_id, u._user_name = cc, user_id, cc.commcell_username
    return u


def control(base, what, body):
    root = base.split("/commandcenter/api")[0]
    requests.post(f"{root}/__emulator/{what}", json=body, timeout=10).raise_for_status()


def way_in(base):
    out = {}
    admin = commcell(base, *ADMIN)
    out["admin"] = {"user": admin.commcell_username, "authtoken": admin._headers["Authtoken"].split(" ")[0]}
    out["wrongPassword"] = failure(lambda: commcell(base, "admin", "not-it"))
    # The reachability check: a base that does not answer 200 stops the SDK before it logs in.
    out["unreachable"] = failure(lambda: commcell(base.replace("/commandcenter/api", "/wrong/api"), *ADMIN))

    alice = commcell(base, *ALICE)
    mine = user_of(alice, 11)
    token = mine.create_access_token("sdk-login")
    custom = mine.create_access_token("sdk-custom", token_type=3, api_endpoints=["/client"])
    out["byToken"] = {}
    for how, given in [("bearer", f"Bearer {token['accessToken']}"), ("bare", token["accessToken"]),
                       ("customBearer", f"Bearer {custom['accessToken']}"), ("session", alice._headers["Authtoken"])]:
        cc = commcell(base, authtoken=given)
        out["byToken"][how] = {"user": cc.commcell_username, "authtoken": cc._headers["Authtoken"].split(" ")[0]}
    mine.delete_access_token(token["accessTokenId"])
    # A dead token: under `Bearer ` the SDK gives up at once; bare, it takes it for a session and
    # asks RenewLoginToken, which refuses.
    out["deadBearer"] = failure(lambda: commcell(base, authtoken=f"Bearer {token['accessToken']}"))
    out["deadBare"] = failure(lambda: commcell(base, authtoken=token["accessToken"]))
    return out


def lifecycle(base):
    out = {}
    cc = commcell(base, *ADMIN)
    admin = user_of(cc, 1)
    now = int(requests.get(base.split("/commandcenter/api")[0] + "/__emulator/clock", timeout=10).json()["now"])
    day = 86400
    ips = ["192.168.1.1-192.168.1.255", "10.0.0.0/24", "2001:db8::1", "2001:db8::/32"]
    out["now"] = now
    # All (no tokenType: the SDK leaves out the default), with the other scope's lifetime, which is ignored.
    first = admin.create_access_token("backup", service_account_id=SVC_BACKUP, renewable_until_time=now + 100 * day,
                                      token_expiry_time=now + 5 * day, ip_allowlist=ips)
    out["all"] = shown(first)
    out["scim"] = shown(admin.create_access_token("scim", token_type=1, service_account_id=SVC_BACKUP,
                                                  token_expiry_time=now + 20 * day, renewable_until_time=now + 300 * day))
    out["custom"] = shown(admin.create_access_token("custom", token_type=3, service_account_id=SVC_BACKUP,
                                                    api_endpoints=["/client", "/v4/servergroup"]))
    # Hyperscale is in neither lifetime's docstring; the SDK sends renewable_until_time as given.
    out["hyperscale"] = shown(admin.create_access_token("hyperscale", token_type=5, service_account_id=SVC_BACKUP,
                                                        renewable_until_time=now + 50 * day))
    out["listed"] = admin.get_access_tokens(SVC_BACKUP)
    out["ownList"] = admin.get_access_tokens()  # no user id: the User object's own (admin's)

    tid = out["all"]["accessTokenId"]
    out["renamed"] = admin.edit_access_token(tid, token_name="backup-2", renewable_until_time=now + 200 * day,
                                             token_expiry_time=now + day,
                                             ip_allowlist=["172.16.0.1-172.16.0.9", "127.0.0.1-127.0.0.9"])
    # An empty allow list is falsy: the SDK leaves it out, so it cannot clear one.
    out["emptyAllowList"] = admin.edit_access_token(tid, token_name="backup-2", ip_allowlist=[])
    out["toCustom"] = admin.edit_access_token(tid, token_type=3, api_endpoints=["/client"])
    out["toHyperscale"] = admin.edit_access_token(tid, token_type=5)
    out["toAll"] = admin.edit_access_token(tid, token_type=2)
    out["scimEdited"] = admin.edit_access_token(out["scim"]["accessTokenId"], renewable_until_time=now + day)
    out["refusedScope"] = failure(lambda: admin.edit_access_token(out["scim"]["accessTokenId"], token_type=2))
    out["toScim"] = failure(lambda: admin.edit_access_token(tid, token_type=1))
    out["afterEdits"] = admin.get_access_tokens(SVC_BACKUP)

    # Renew with the pair from the create (held here, never printed).
    renewed = admin.renew_access_token(first["accessToken"], first["refreshToken"])
    out["renewed"] = shown(renewed)
    out["renewedWorks"] = commcell(base, authtoken=f"Bearer {renewed['accessToken']}").commcell_username
    out["oldDead"] = failure(lambda: commcell(base, authtoken=f"Bearer {first['accessToken']}"))
    out["deleted"] = admin.delete_access_token(tid)
    out["deletedDead"] = failure(lambda: commcell(base, authtoken=f"Bearer {renewed['accessToken']}"))
    out["afterDelete"] = admin.get_access_tokens(SVC_BACKUP)
    return out


def errors(base):
    admin = user_of(commcell(base, *ADMIN), 1)
    alice = user_of(commcell(base, *ALICE), 11)
    admin.create_access_token("dup")
    scim = admin.create_access_token("s", token_type=1)
    svc = admin.create_access_token("svc", service_account_id=SVC_BACKUP)
    r = admin.create_access_token("r")
    cases = {
        "createTakenName": lambda: admin.create_access_token("DUP"),
        "createForPerson": lambda: admin.create_access_token("x", service_account_id=11),
        "createUnknownUser": lambda: admin.create_access_token("x", service_account_id=4242),
        "editUnknown": lambda: admin.edit_access_token(4242, token_name="x"),
        "editScope": lambda: admin.edit_access_token(scim["accessTokenId"], token_type=2),
        "editNoInput": lambda: admin.edit_access_token(scim["accessTokenId"], api_endpoints=["/client"]),
        "deleteUnknown": lambda: admin.delete_access_token(4242),
        "deleteOthers": lambda: alice.delete_access_token(svc["accessTokenId"]),
        "listUnknownUser": lambda: admin.get_access_tokens(4242),
        "listOthers": lambda: alice.get_access_tokens(SVC_BACKUP),
        "renewUnknown": lambda: admin.renew_access_token("feedface", "cafe"),
        "renewWrongRefresh": lambda: admin.renew_access_token(r["accessToken"], "not-it"),
        "renewScim": lambda: admin.renew_access_token(scim["accessToken"], "none"),
    }
    return {name: failure(run) for name, run in cases.items()}


def session(base):
    out = {}
    alice = commcell(base, *ALICE)
    before = alice._headers["Authtoken"]
    control(base, "clock", {"advance": 31 * 60})
    out["afterIdle"] = user_of(alice, 11).get_access_tokens()
    out["sessionRenewed"] = alice._headers["Authtoken"] != before
    # Another Commcell on the same session logs it out; the first one's next call gets a 401, and
    # RenewLoginToken refuses a logged-out session.
    commcell(base, authtoken=alice._headers["Authtoken"]).logout()
    out["loggedOut"] = failure(lambda: user_of(alice, 11).get_access_tokens())
    # Logging out a session that has ended already: the SDK returns the server's answer.
    out["secondLogout"] = alice.logout()
    # A script holding only its access token (as a consumer does) renews it once it has expired: the
    # SDK sends the expired token in Authtoken, and Renew goes by the pair in the body.
    pair = user_of(commcell(base, *ALICE), 11).create_access_token("self")
    mine = user_of(commcell(base, authtoken=f"Bearer {pair['accessToken']}"), 11)
    control(base, "clock", {"advance": 31 * 60})
    out["expiredToken"] = failure(lambda: mine.get_access_tokens())
    renewed = mine.renew_access_token(pair["accessToken"], pair["refreshToken"])
    out["selfRenewed"] = shown(renewed)
    # An access token may list but never create (contract section 2).
    by_token = user_of(commcell(base, authtoken=f"Bearer {renewed['accessToken']}"), 11)
    out["tokenLists"] = [t["tokenName"] for t in by_token.get_access_tokens()["tokens"]]
    out["tokenCannotCreate"] = failure(lambda: by_token.create_access_token("x"))
    return out


def tls(base):
    """An emulator serving HTTPS with a throwaway certificate, whose PEM file is in CVPYSDK_CA."""
    ca = os.environ["CVPYSDK_CA"]
    host = urlparse(base).netloc
    out = {}
    cc = Commcell(host, *ADMIN, certificate_path=ca, web_service_url=base)
    out["withCa"] = {"user": cc.commcell_username, "tokens": user_of(cc, 1).get_access_tokens()["tokens"]}
    # Without the CA the certificate check fails, and the SDK reports the server as unreachable.
    out["withoutCa"] = failure(lambda: Commcell(host, *ADMIN, web_service_url=base))
    return out


SCENARIOS = {"way-in": way_in, "lifecycle": lifecycle, "errors": errors, "session": session, "tls": tls}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: cvpysdk_driver.py {{{'|'.join(SCENARIOS)}}} <api base>")
    result = SCENARIOS[sys.argv[1]](sys.argv[2].rstrip("/"))
    print(json.dumps({**result, "sent": SENT}))
