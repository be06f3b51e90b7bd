#!/usr/bin/env python3
"""Per-connection heap bytes by owner: (live at kill in run A - live in baseline run B) / (NA - NB).
usage: scripts/heap-owners.py leaksA.txt NA leaksB.txt NB [--sites K [--owner O]]
(heaptrack_print --print-leaks 1 --merge-backtraces 0). NA "auto": the ConnectionHandlers heaptrack recorded in A."""
import re, sys, subprocess, collections

RULES = [
    ("TLS: NIOSSL plaintext read buffer (2 x 16 KiB, allocated)", ["NIOSSLHandler.handlerAdded"]),
    ("TLS: BoringSSL session cache entry", ["ssl_update_cache", "add_session_locked"]),
    ("TLS: NIOSSL BIO buffers", ["ByteBufferBIO"]),
    ("TLS: BoringSSL SSL object, record buffers", ["SSL_new", "bssl::", "CNIOBoringSSL", "SSLConnection", "NIOSSL", "ssl_", "SSL_"]),
    ("receive buffer (NIO pooled recv buffer)", ["NIOPooledRecvBufferAllocator", "RecvByteBufferAllocator", "readFromSocket"]),
    ("frame decoder (ByteToMessageHandler)", ["ByteToMessageHandler", "B2MDBuffer"]),
    ("NIOAsyncChannel (inbound stream, writer)", ["NIOAsyncChannel", "NIOAsyncSequenceProducer", "NIOAsyncWriter", "NIOAsyncChannelHandler", "NIOThrowingAsyncSequenceProducer"]),
    ("per-session actors (MailboxDelivery, OutboundFlow, RequestWindow, Session, FrameWriter)", ["MailboxDelivery", "OutboundFlow", "RequestWindow", "FrameWriter", "Session.init", "Session.__allocating_init", "Outbox"]),
    ("SessionDirectory entry", ["SessionDirectory"]),
    ("caches (UserCache, PresenceCache)", ["UserCache", "PresenceCache"]),
    ("store (SQLite/GRDB page cache, statements)", ["sqlite3", "GRDB", "SQLiteChatStore", "SQLiteStore"]),
    ("WritabilityWatch stream", ["WritabilityWatch", "AsyncStream"]),
    ("Swift tasks (task objects, async frames)", ["swift_task_create", "swift_task_alloc", "swift::AsyncTask", "swift_taskGroup", "TaskGroup", "StackAllocator"]),
    ("ConnectionHandler and serving", ["ConnectionHandler", "ChatNode.serve", "serveConnections", "prepareAcceptedConnection", "ConnectionDeadlines", "OpenConnections", "ConnectionCounts", "PeerIdentity", "UnservedConnectionGuard"]),
    ("NIO channel + pipeline", ["ChannelPipeline", "ChannelHandlerContext", "SocketChannel", "BaseSocketChannel", "BaseStreamSocketChannel", "ServerBootstrap", "Selector", "ChannelOptions", "PendingStreamWrites", "EventLoop"]),
    ("logging", ["Logger", "Logging."]),
]

def parse(path):
    entries = []  # (bytes, calls, [frames])
    cur = None
    units = {"B": 1, "K": 1e3, "M": 1e6, "G": 1e9}
    started = False
    for line in open(path, errors="replace"):
        if line.startswith("MEMORY LEAKS"): started = True; continue
        if not started: continue
        m = re.match(r"^(\d+(?:\.\d+)?)([BKMG]) leaked over (\d+) calls from", line)
        if m:
            cur = [float(m.group(1)) * units[m.group(2)], int(m.group(3)), []]; entries.append(cur); continue
        if line.startswith("total runtime"): break
        if cur is not None and re.match(r"^  \S", line) and not line.strip().startswith(("at ", "in ")):
            cur[2].append(line.strip().rstrip(":"))
    return entries

def demangle_all(entries):
    names = sorted({f for e in entries for f in e[2]})
    out = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names), capture_output=True, text=True).stdout.split("\n")
    table = dict(zip(names, out))
    for e in entries: e[2] = [table.get(f, f) for f in e[2]]

def owner(frames):
    # The innermost frame that any rule names decides (the allocator's caller, not the task that runs it).
    for frame in frames:
        for name, keys in RULES:
            if any(k in frame for k in keys): return name
    return "other"

def by_owner(entries):
    c = collections.Counter(); n = collections.Counter()
    for b, calls, frames in entries: c[owner(frames)] += b; n[owner(frames)] += calls
    return c, n

if __name__ == "__main__":
    a, b, nb = parse(sys.argv[1]), parse(sys.argv[3]), int(sys.argv[4])
    demangle_all(a); demangle_all(b)
    if sys.argv[2] == "auto":
        na = sum(calls for _, calls, frames in a if frames[2:3] == ["ConnectionHandler.__allocating_init(services:outbox:peer:channelBinding:logger:)"])
        print(f"sessions recorded: {na}")
    else:
        na = int(sys.argv[2])
    ca, ka = by_owner(a); cb, kb = by_owner(b)
    d = na - nb
    total = 0
    print(f"{'bytes/conn':>10} {'allocs/conn':>11}  owner")
    for o in sorted(set(ca) | set(cb), key=lambda o: -(ca[o] - cb[o])):
        per = (ca[o] - cb[o]) / d; total += per
        print(f"{per:>10.0f} {(ka[o] - kb[o]) / d:>11.1f}  {o}")
    print(f"{total:>10.0f}              total heap per connection (heaptrack, requested sizes)")
    if "--sites" in sys.argv:
        k = int(sys.argv[sys.argv.index("--sites") + 1])
        only = sys.argv[sys.argv.index("--owner") + 1] if "--owner" in sys.argv else None
        for bts, calls, frames in sorted(a, key=lambda e: -e[0]):
            if only and owner(frames) != only: continue
            if k == 0: break
            k -= 1
            print(f"--- {bts:.0f} B / {calls} calls  [{owner(frames)}]")
            for f in frames[:18]: print("     ", f[:180])
