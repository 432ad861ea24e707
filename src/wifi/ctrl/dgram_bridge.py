#!/usr/bin/python3
"""Unix datagram sockets for the Smallworld daemon, which Node.js cannot open itself.

One process serves every socket. It speaks JSON lines on stdin/stdout:
  in:  {"op": "open", "id": N, "bind": PATH}      bind a datagram socket at PATH
       {"op": "send", "id": N, "to": PATH, "data": BASE64}
       {"op": "close", "id": N}
  out: {"op": "opened", "id": N}
       {"op": "recv", "id": N, "from": PATH, "data": BASE64}
       {"op": "sent", "id": N, "seq": S} / {"op": "error", "id": N, "seq": S, "message": TEXT}
Nothing is interpreted here: bytes go through as base64. It exits when stdin closes.
"""
import base64
import json
import os
import select
import socket
import sys

MAX_DATAGRAM = 65536
sockets = {}


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def handle(line):
    try:
        msg = json.loads(line)
        op = msg["op"]
        sid = msg["id"]
    except (ValueError, KeyError, TypeError):
        emit({"op": "error", "id": None, "message": "bad request line"})
        return
    seq = msg.get("seq")
    try:
        if op == "open":
            path = msg["bind"]
            unlink_quietly(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(path)
            sock.setblocking(False)
            sockets[sid] = (sock, path)
            emit({"op": "opened", "id": sid})
        elif op == "send":
            sock, _ = sockets[sid]
            sock.sendto(base64.b64decode(msg["data"]), msg["to"])
            emit({"op": "sent", "id": sid, "seq": seq})
        elif op == "close":
            entry = sockets.pop(sid, None)
            if entry:
                entry[0].close()
                unlink_quietly(entry[1])
            emit({"op": "closed", "id": sid})
        else:
            emit({"op": "error", "id": sid, "seq": seq, "message": "unknown op"})
    except KeyError:
        emit({"op": "error", "id": sid, "seq": seq, "message": "no such socket"})
    except OSError as error:
        emit({"op": "error", "id": sid, "seq": seq, "message": "%s: %s" % (error.__class__.__name__, error.strerror or error)})


def main():
    stdin = sys.stdin.fileno()
    pending = b""
    try:
        while True:
            readable, _, _ = select.select([stdin] + [s for s, _ in sockets.values()], [], [])
            for ready in readable:
                if ready == stdin:
                    chunk = os.read(stdin, 65536)
                    if not chunk:
                        return
                    pending += chunk
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        if line.strip():
                            handle(line.decode("utf-8", "replace"))
                    continue
                for sid, (sock, _) in list(sockets.items()):
                    if sock is ready:
                        try:
                            data, sender = sock.recvfrom(MAX_DATAGRAM)
                        except OSError:
                            break
                        emit({"op": "recv", "id": sid, "from": sender or "", "data": base64.b64encode(data).decode("ascii")})
                        break
    finally:
        for sock, path in sockets.values():
            sock.close()
            unlink_quietly(path)


if __name__ == "__main__":
    main()
