#!/usr/bin/env python3
"""Records real qBittorrent WebUI replies into tests/fixtures/<build>/ (`make fixtures`).

Each installed build (bookworm: the system qbittorrent-nox or $QBITTORRENT_NOX; trixie and
testing: the launchers scripts/setup.sh writes in the build cache) is started on a free
127.0.0.1 port with a throwaway profile shaped like the test helper's (tests/helpers/qbit.rs):
WebUI password auth even on localhost, DHT, PeX, LSD and UPnP off, BitTorrent bound to
127.0.0.1. A loopback tracker (http.server) answers every announce without peers, except one
torrent it refuses with the failure reason "Unregistered torrent". Four torrents are made with
mktorrent from fixed contents, so their hashes are the same on every run:

  Sample.Movie.2024.1080p.mkv   single file, data present: complete, seeding (radarr, tag t1)
  Sample.Show.S01               three files, data present: complete, seeding (sonarr)
  Stalled.Movie.2023.mkv        single file, data absent, no peers: stalledDL (radarr)
  Gone.Movie.2022.mkv           private, data absent, refused by the tracker (radarr)

Every reply is saved as <name>.json: {"request", "status", "headers", "body"}, the body parsed
as JSON when it is JSON. Only a few headers are kept (content type; of Set-Cookie the cookie's
name and attributes, never its value). To keep the files small and the same from run to run,
values that depend on the machine or the moment are replaced (see SCRUBBED, also written to
each build's index.json): the temp save folder becomes /downloads, the tracker's and WebUI's
ports become 6969 and 8080, epoch times become FIXED_TIME, short durations become 1, and
lists of torrents are sorted by name. Nothing leaves 127.0.0.1.

    scripts/record_fixtures.py [--out DIR] [BUILD...]   (default: every installed build)
"""

import argparse
import hashlib
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

USERNAME = "admin"
PASSWORD = "sweeparr-test-password"
# PBKDF2-HMAC-SHA512 of PASSWORD, as in tests/helpers/qbit.rs.
PASSWORD_PBKDF2 = (
    "@ByteArray(AQIDBAUGBwgJCgsMDQ4PEA==:x/7g76YEVvrzm2cjWK4enhmv1Fv6DoJtumrWWwsRnaPKhGMAcdhcg"
    "HMGSt78D+50b7LNQGW5IAUPpgooyPc1Ng==)"
)
UNREGISTERED = "Unregistered torrent"
BUILDS = {
    "bookworm": "Debian 12 bookworm",
    "trixie": "Debian 13 trixie",
    "testing": "Debian testing",
}
SAVE_PLACEHOLDER = "/downloads"
TRACKER_PORT = 6969
WEBUI_PORT = 8080
BT_PORT = 6881
FIXED_TIME = 1767225600  # 2026-01-01T00:00:00Z
EPOCH_FIELDS = {
    "added_on", "completion_on", "last_activity", "seen_complete", "addition_date",
    "completion_date", "creation_date", "last_seen", "next_announce", "min_announce",
}
DURATION_FIELDS = {"time_active", "seeding_time", "time_elapsed", "reannounce"}
VOLATILE_SERVER_STATE = {
    "free_space_on_disk": 100 * 2**30,
    "alltime_dl": 0, "alltime_ul": 0, "average_time_queue": 0, "queued_io_jobs": 0,
    "read_cache_hits": "0", "read_cache_overload": "0", "write_cache_overload": "0",
    "total_buffers_size": 0, "total_queued_size": 0, "total_wasted_session": 0,
    "total_peer_connections": 0, "dl_info_data": 0, "up_info_data": 0,
}
SCRUBBED = {
    "save folder": f"the temp download folder is written {SAVE_PLACEHOLDER}",
    "ports": f"the tracker's port is written {TRACKER_PORT}, the WebUI's {WEBUI_PORT}, "
             f"the BitTorrent listen port {BT_PORT}",
    "epoch times": f"{sorted(EPOCH_FIELDS)} above 0 are {FIXED_TIME}",
    "durations": f"{sorted(DURATION_FIELDS)} above 0 are 1",
    "server_state": f"{sorted(VOLATILE_SERVER_STATE)} are fixed values",
    "order": "torrent lists are sorted by name, lists of hashes (sync/maindata trackers) "
             "alphabetically, object keys alphabetically",
    "rid": "sync/maindata rid is 1",
    "cookies": "Set-Cookie keeps the name and attributes, the value is <value>, expires <date>",
}


def free_port():
    """A loopback port free for TCP and UDP right now."""
    for _ in range(50):
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise SystemExit("no free loopback port")


def config_text(port, bt_port, save):
    """qBittorrent.conf, the same shape as config_text in tests/helpers/qbit.rs."""
    return f"""[LegalNotice]
Accepted=true

[BitTorrent]
Session\\InterfaceAddress=127.0.0.1
Session\\Port={bt_port}
Session\\DHTEnabled=false
Session\\PeXEnabled=false
Session\\LSDEnabled=false
Session\\QueueingSystemEnabled=false
Session\\DefaultSavePath={save}
Session\\TempPathEnabled=false
Session\\AddTorrentPaused=false
Session\\AddTorrentStopped=false
Session\\SSRFMitigation=false

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\\UPnP=false
Connection\\ResolvePeerCountries=false
Advanced\\updateCheck=false
WebUI\\Address=127.0.0.1
WebUI\\Port={port}
WebUI\\Username={USERNAME}
WebUI\\Password_PBKDF2="{PASSWORD_PBKDF2}"
WebUI\\LocalHostAuth=true

[RSS]
Session\\EnableProcessing=false
AutoDownloader\\EnableProcessing=false
"""


def build_program(name):
    """The program that runs build `name`, or None when it is not installed."""
    if name == "bookworm":
        program = os.environ.get("QBITTORRENT_NOX") or shutil.which("qbittorrent-nox")
        return program
    cache = os.environ.get("SWEEPARR_QBT_CACHE") or os.path.join(
        os.environ.get("HOME", "."), ".cache/sweeparr/qbt")
    launcher = os.path.join(cache, name, "run-qbittorrent-nox")
    return launcher if os.access(launcher, os.X_OK) else None


def content(seed, size):
    """Fixed bytes for a file, from a seed string."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def bencode_info_hash(torrent):
    """SHA-1 of the bencoded info dictionary of a .torrent."""

    def skip(i):
        c = torrent[i:i + 1]
        if c == b"i":
            return torrent.index(b"e", i) + 1
        if c in (b"l", b"d"):
            i += 1
            while torrent[i:i + 1] != b"e":
                i = skip(i)
            return i + 1
        colon = torrent.index(b":", i)
        return colon + 1 + int(torrent[i:colon])

    i = 1
    while torrent[i:i + 1] != b"e":
        key_end = skip(i)
        key = torrent[torrent.index(b":", i) + 1:key_end]
        value_end = skip(key_end)
        if key == b"info":
            return hashlib.sha1(torrent[key_end:value_end]).hexdigest()
        i = value_end
    raise ValueError("no info dictionary")


def make_torrent(folder, name, files, tracker, private=False):
    """Writes the data and folder/<name>.torrent with mktorrent; returns (path, hash)."""
    target = folder / name
    if len(files) == 1:
        target.write_bytes(content(name, files[0][1]))
    else:
        for rel, size in files:
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content(f"{name}/{rel}", size))
    out = folder / f"{name}.torrent"
    cmd = ["mktorrent", "-l", "15", "-t", "1", "-a", tracker, "-o", str(out)]
    if private:
        cmd.append("-p")
    subprocess.run(cmd + [str(target)], check=True, capture_output=True)
    return out, bencode_info_hash(out.read_bytes())


class Tracker:
    """A loopback HTTP tracker: no peers for anyone, a failure reason for `refused` hashes."""

    def __init__(self):
        self.refused = set()
        tracker = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                query = urllib.parse.urlsplit(self.path).query
                info_hash = b""
                for pair in query.split("&"):
                    if pair.startswith("info_hash="):
                        info_hash = urllib.parse.unquote_to_bytes(pair[len("info_hash="):])
                if info_hash.hex() in tracker.refused:
                    msg = UNREGISTERED.encode()
                    body = b"d14:failure reason" + str(len(msg)).encode() + b":" + msg + b"e"
                else:
                    body = b"d8:intervali1800e12:min intervali1e5:peers0:e"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.port}/announce"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Server:
    """One running build with its WebUI session."""

    def __init__(self, name, program, root):
        self.name = name
        self.root = root
        self.port = free_port()
        self.bt_port = free_port()
        self.save = root / "downloads"
        self.save.mkdir()
        conf = root / "profile/qBittorrent/config"
        conf.mkdir(parents=True)
        (conf / "qBittorrent.conf").write_text(config_text(self.port, self.bt_port, self.save))
        self.log = open(root / "qbittorrent.log", "wb")
        self.proc = subprocess.Popen(
            [program, f"--profile={root / 'profile'}"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.cookie = None
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name}: qbittorrent-nox exited: {self.output()}")
            try:
                self.request("GET", "app/version", auth=False)
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f"{name}: no WebUI within 30 s: {self.output()}")
                time.sleep(0.2)

    def output(self):
        self.log.flush()
        return (self.root / "qbittorrent.log").read_text(errors="replace")[-2000:]

    def request(self, method, endpoint, params=None, auth=True, body=None, headers=None):
        """(status, headers, raw body) of one API call."""
        path = f"/api/v2/{endpoint}"
        hdrs = dict(headers or {})
        if params and method == "GET":
            path += "?" + urllib.parse.urlencode(params)
        elif params is not None and body is None:
            body = urllib.parse.urlencode(params).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if auth and self.cookie:
            hdrs["Cookie"] = self.cookie
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()

    def login(self):
        status, headers, body = self.request(
            "POST", "auth/login", {"username": USERNAME, "password": PASSWORD}, auth=False)
        for key, value in headers:
            if key.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        if status not in (200, 204) or not self.cookie:
            raise SystemExit(f"{self.name}: login failed: {status} {body!r}")
        return status, headers, body

    def json(self, endpoint, params=None):
        status, _, body = self.request("GET", endpoint, params)
        if status != 200:
            raise SystemExit(f"{self.name}: {endpoint}: {status} {body!r}")
        return json.loads(body)

    def add(self, torrent, category, tags, save_path):
        boundary = "----fixtures" + hashlib.sha1(torrent.name.encode()).hexdigest()
        fields = {"savepath": str(save_path), "category": category, "tags": ",".join(tags)}
        parts = []
        for key, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"'
                         f"\r\n\r\n{value}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="torrents"; '
                     f'filename="upload.torrent"\r\nContent-Type: application/x-bittorrent'
                     f"\r\n\r\n".encode() + torrent.read_bytes() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        status, _, body = self.request(
            "POST", "torrents/add", body=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        if status != 200:
            raise SystemExit(f"{self.name}: torrents/add {torrent.name}: {status} {body!r}")

    def wait(self, what, check, timeout=30):
        """Polls `check` until true; fails naming `what` with the torrents as last seen."""
        deadline = time.time() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.time() > deadline:
                seen = [(t["name"], t["state"], t.get("tracker", ""))
                        for t in self.json("torrents/info")]
                raise SystemExit(f"{self.name}: {what} not reached within {timeout} s: {seen}")
            time.sleep(0.3)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Scrubber:
    """Replaces what depends on the machine or the moment (see SCRUBBED)."""

    def __init__(self, save, ports):
        self.save = str(save)
        self.ports = ports  # {real port: placeholder port}

    def cookie_name(self, name):
        """QBT_SID_<WebUI port> (5.2+) with the placeholder port; SID as it is."""
        for real, fake in self.ports.items():
            if name.endswith(f"_{real}"):
                return name[: -len(str(real))] + str(fake)
        return name

    def text(self, s):
        s = s.replace(self.save, SAVE_PLACEHOLDER)
        for real, fake in self.ports.items():
            for sep in (":", "%3a", "%3A"):
                s = s.replace(f"127.0.0.1{sep}{real}", f"127.0.0.1{sep}{fake}")
        return s

    def value(self, v, key=None):
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k == "server_state" and isinstance(x, dict):
                    x = {sk: VOLATILE_SERVER_STATE.get(sk, sv) if sk in VOLATILE_SERVER_STATE
                         else sv for sk, sv in x.items()}
                out[self.text(k)] = self.value(x, k)
            if key is None and "rid" in out:
                out["rid"] = 1
            return out
        if isinstance(v, list):
            items = [self.value(x) for x in v]
            if items and all(isinstance(x, dict) and "hash" in x and "name" in x for x in items):
                items.sort(key=lambda x: x["name"])
            if items and all(isinstance(x, str) and len(x) == 40 for x in items):
                items.sort()
            return items
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v
        if key in EPOCH_FIELDS and v > 0:
            return FIXED_TIME
        if key in DURATION_FIELDS and v > 0:
            return 1
        return v


def selected_headers(headers, scrub):
    """Content type and, of Set-Cookie, name and attributes without the value."""
    out = {}
    for key, value in headers:
        k = key.lower()
        if k == "content-type":
            out["content-type"] = value
        elif k == "set-cookie":
            name, _, rest = value.partition("=")
            attrs = []
            for attr in rest.split(";")[1:]:
                attr = attr.strip()
                if attr.lower().startswith("expires="):
                    attr = "expires=<date>"
                attrs.append(attr)
            out["set-cookie"] = "; ".join([f"{scrub.cookie_name(name)}=<value>"] + attrs)
    return out


def record(name, program, out_dir):
    version = subprocess.run([program, "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    print(f"== {name} ({version})", flush=True)
    root = Path(tempfile.mkdtemp(prefix=f"sweeparr-fixtures-{name}-"))
    tracker = Tracker()
    server = None
    try:
        server = Server(name, program, root)
        # The WebUI port appears in 5.2+ cookie names (QBT_SID_<port>).
        scrub = Scrubber(server.save, {tracker.port: TRACKER_PORT, server.port: WEBUI_PORT,
                                       server.bt_port: BT_PORT})
        fixtures = {}

        def save(fname, about, method, endpoint, params, status, headers, body):
            text = body.decode("utf-8", errors="replace")
            try:
                parsed = json.loads(text) if text.strip() else text
            except ValueError:
                parsed = text
            if isinstance(parsed, (dict, list)):
                parsed = scrub.value(parsed)
            else:
                parsed = scrub.text(parsed)
            request = {"method": method, "path": f"/api/v2/{endpoint}"}
            if params:
                request["params"] = {k: ("<password>" if k == "password" else scrub.text(str(v)))
                                     for k, v in params.items()}
            doc = {"about": about, "request": request, "status": status,
                   "headers": selected_headers(headers, scrub), "body": parsed}
            fixtures[fname] = about
            path = out_dir / f"{fname}.json"
            path.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")

        def get(fname, about, endpoint, params=None):
            status, headers, body = server.request("GET", endpoint, params)
            save(fname, about, "GET", endpoint, params, status, headers, body)
            return status

        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*.json"):
            if old.name != "samples-4.5.2.json":
                old.unlink()

        status, headers, body = server.request(
            "POST", "auth/login", {"username": USERNAME, "password": "wrong-password"},
            auth=False)
        save("auth_login_refused", "auth/login with a wrong password", "POST", "auth/login",
             {"username": USERNAME, "password": "x"}, status, headers, body)
        status, headers, body = server.request("GET", "torrents/info", auth=False)
        save("no_session", "torrents/info without a session cookie", "GET", "torrents/info",
             None, status, headers, body)
        status, headers, body = server.login()
        # 5.x answers the WebUI about 1.5 s before BitTorrent listens ("disconnected").
        server.wait("BitTorrent listening", lambda: server.json("transfer/info")
                    ["connection_status"] != "disconnected")
        save("auth_login", "auth/login with the right password", "POST", "auth/login",
             {"username": USERNAME, "password": "x"}, status, headers, body)
        get("app_version", "app/version", "app/version")
        get("app_webapiVersion", "app/webapiVersion", "app/webapiVersion")
        get("sync_maindata_empty", "sync/maindata?rid=0 with no torrents and no categories",
            "sync/maindata", {"rid": "0"})
        get("torrents_info_empty", "torrents/info with no torrents", "torrents/info")

        scratch = root / "scratch"
        scratch.mkdir()
        url = tracker.url()
        movie, movie_hash = make_torrent(server.save, "Sample.Movie.2024.1080p.mkv",
                                         [("f", 100_000)], url)
        show, show_hash = make_torrent(server.save, "Sample.Show.S01",
                                       [("e01.mkv", 60_000), ("e02.mkv", 50_000),
                                        ("sub/e01.srt", 1_000)], url)
        stalled, stalled_hash = make_torrent(scratch, "Stalled.Movie.2023.mkv",
                                             [("f", 70_000)], url)
        (scratch / "Stalled.Movie.2023.mkv").unlink()
        gone, gone_hash = make_torrent(scratch, "Gone.Movie.2022.mkv", [("f", 40_000)], url,
                                       private=True)
        (scratch / "Gone.Movie.2022.mkv").unlink()
        tracker.refused.add(gone_hash)
        status, _, _ = server.request("POST", "torrents/createCategory",
                                      {"category": "radarr", "savePath": ""})
        status, _, _ = server.request("POST", "torrents/createCategory",
                                      {"category": "sonarr", "savePath": ""})
        server.add(movie, "radarr", ["t1"], server.save)
        server.add(show, "sonarr", [], server.save)
        server.add(stalled, "radarr", [], server.save)
        server.add(gone, "radarr", [], server.save)

        def states():
            info = {t["hash"]: t for t in server.json("torrents/info")}
            want = {movie_hash: "UP", show_hash: "UP", stalled_hash: "stalledDL"}
            ok = all(h in info and info[h]["state"].endswith(s) and info[h]["state"] not in
                     ("checkingUP", "queuedUP") for h, s in want.items())
            return ok and gone_hash in info

        server.wait("complete, multi-file and stalled torrents in place", states)

        def trackers_settled():
            refused = server.json("torrents/trackers", {"hash": gone_hash})
            working = server.json("torrents/trackers", {"hash": movie_hash})
            if not any(t.get("status") == 2 for t in working):
                # An announce made while the torrent was still being checked may never be
                # answered; ask again (the tracker allows one a second).
                server.request("POST", "torrents/reannounce", {"hashes": movie_hash})
            return (any(t.get("msg") == UNREGISTERED for t in refused)
                    and any(t.get("status") == 2 for t in working))

        server.wait("a working tracker and one saying unregistered", trackers_settled)
        time.sleep(1)

        get("torrents_info", "torrents/info with the four torrents", "torrents/info")
        if name != "bookworm":
            get("torrents_info_includeTrackers", "torrents/info?includeTrackers=true (5.1+)",
                "torrents/info", {"includeTrackers": "true"})
        get("sync_maindata", "sync/maindata?rid=0 with the four torrents and two categories",
            "sync/maindata", {"rid": "0"})
        get("torrents_trackers_working", "torrents/trackers of a torrent the tracker accepts",
            "torrents/trackers", {"hash": movie_hash})
        get("torrents_trackers_unregistered",
            "torrents/trackers of a torrent the tracker refuses as unregistered",
            "torrents/trackers", {"hash": gone_hash})
        get("torrents_files", "torrents/files of the multi-file torrent", "torrents/files",
            {"hash": show_hash})
        get("torrents_properties_complete", "torrents/properties of the complete single file",
            "torrents/properties", {"hash": movie_hash})
        get("torrents_properties_stalled", "torrents/properties of the stalled torrent",
            "torrents/properties", {"hash": stalled_hash})
        get("torrents_categories", "torrents/categories", "torrents/categories")
        wrong = "torrents/stop" if name == "bookworm" else "torrents/pause"
        status, headers, body = server.request("POST", wrong, {"hashes": stalled_hash})
        save("wrong_generation_endpoint",
             f"{wrong}: the stop/pause endpoint of the other API generation", "POST", wrong,
             {"hashes": stalled_hash}, status, headers, body)

        index = {
            "build": name,
            "suite": BUILDS[name],
            "version": version,
            "webapiVersion": server.request("GET", "app/webapiVersion")[2].decode(),
            "torrents": {
                movie_hash: "Sample.Movie.2024.1080p.mkv: complete single file, radarr, tag t1",
                show_hash: "Sample.Show.S01: complete, three files, sonarr",
                stalled_hash: "Stalled.Movie.2023.mkv: data absent, no peers: stalledDL",
                gone_hash: "Gone.Movie.2022.mkv: private, the tracker says "
                           f"'{UNREGISTERED}'",
            },
            "fixtures": dict(sorted(fixtures.items())),
            "scrubbed": SCRUBBED,
            "recorded_by": "scripts/record_fixtures.py (make fixtures)",
        }
        (out_dir / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False)
                                            + "\n")
        print(f"   {len(fixtures)} replies in {out_dir}", flush=True)
    finally:
        if server:
            server.stop()
        tracker.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("builds", nargs="*", help="bookworm, trixie, testing (default: all "
                        "installed)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent
                                             / "tests/fixtures"))
    args = parser.parse_args()
    for b in args.builds:
        if b not in BUILDS:
            parser.error(f"unknown build {b!r} (one of {', '.join(BUILDS)})")
    if not shutil.which("mktorrent"):
        raise SystemExit("record_fixtures: needs mktorrent (scripts/setup.sh installs it)")
    wanted = args.builds or list(BUILDS)
    done = 0
    for name in wanted:
        program = build_program(name)
        if not program:
            msg = f"record_fixtures: build {name} ({BUILDS[name]}) is not installed"
            if args.builds:
                raise SystemExit(msg + "; scripts/setup.sh installs it")
            print(msg + ", skipped", file=sys.stderr)
            continue
        record(name, program, Path(args.out) / name)
        done += 1
    if not done:
        raise SystemExit("record_fixtures: no build installed; run scripts/setup.sh")


if __name__ == "__main__":
    main()
