#!/usr/bin/env python3
"""Writes the hand-made seeds of each fuzz target into Corpus/TARGET/seed-*. Each seed is a short program in the
target's input grammar (Sources/FuzzSupport/FuzzInput.swift and the targets' builders): a realistic session the
fuzzer then mutates. Crashes found later are kept beside them as crash-*. Run from anywhere; rewrites the seeds."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def uint(number, value):
    return varint(number << 3) + varint(value)


def framed(frame):
    return struct.pack(">I", len(frame)) + frame


def data(payload):
    """FuzzInput.data(): one length byte, then the bytes."""
    assert len(payload) < 256
    return bytes([len(payload)]) + payload


ID = bytes([2]) + bytes(range(16))  # FuzzInput.id(): a fresh 16-byte id
NAME = {"me": b"\x01\x00", "fuzz": b"\x01\x00", "alice": b"\x01\x01", "bob": b"\x01\x01", "carol": b"\x01\x02"}
GROUP = {"team": b"\x01\x00", "bobs": b"\x01\x01", "other": b"\x01\x01"}


def seeds_frame_decoder():
    hello = field(10, uint(1, 1) + field(2, b"fastchat"))
    send = uint(1, 7) + field(40, field(1, uint(1, 1) + field(2, bytes(16)) + field(3, b"alice") + field(4, b"bob")
                                      + field(6, b"sealed")))
    # Header bytes: a limit byte >= 64 (the default limit) and a chunk size.
    yield "hello", b"\xff\x00" + framed(uint(1, 1) + hello)
    yield "two-frames-split", b"\xff\x02" + framed(uint(1, 1) + hello) + framed(send)
    yield "oversize-length", b"\xff\x10" + struct.pack(">I", 0xFFFFFFFF) + b"rest"
    yield "small-limit", b"\x08\x00" + framed(send)
    yield "not-protobuf", b"\xff\x00" + framed(b"\xff\xff\xff\xff")


def envelope_to(recipient):
    """FuzzFrames.envelope() for a 1:1 message from `fuzz`."""
    return (b"\x01" + ID + NAME["fuzz"] + b"\x00" + NAME[recipient] + data(b"k" * 32) + data(b"ciphertext")
            + data(b"s" * 64) + b"\x00")


def seeds_node():
    get_user = b"\x03" + NAME["bob"]
    yield "get-user", b"\x00" + get_user
    yield "send-to-bob", b"\x00" + b"\x00" + envelope_to("bob") + get_user
    group_send = (b"\x00" + b"\x01" + ID + NAME["fuzz"] + b"\x01" + GROUP["team"] + b"\x01"
                  + NAME["bob"] + data(b"e" * 32) + data(b"wrapped") + data(b"ciphertext") + data(b"s" * 64) + b"\x00")
    yield "send-to-team", b"\x00" + group_send
    yield "ack-edges", b"\x00" + b"\x02\x04\x00\x01\x02\x04"
    upload = b"\x0d" + ID + b"\x00" + data(b"chunk") + b"\x01" + b"\x01"
    yield "upload-then-fetch", b"\x00" + upload + b"\x0e" + ID + b"\x00"
    yield "group-admin", b"\x00" + b"\x09" + GROUP["team"] + b"\x0b" + GROUP["team"] + b"\x01" + NAME["bob"]
    yield "create-group", b"\x00" + b"\x05" + b"\x00" + data(b"newgroup") + data(b"a" * 32) + b"\x06\x0a\x00\x06\x08\x00\x01"
    # Node link: NodeHello from the registered peer, one Forward of an entry for bob with a seq beyond Int64.
    entry = (b"\x01" + NAME["bob"] + b"\x04" + NAME["fuzz"] + ID + b"\x00" + envelope_to("bob") + b"\x00")
    yield "link-forward", b"\x07" + b"\x00" + b"\x01" + b"\x00" + b"\x00" + entry + b"\x01" + NAME["fuzz"] + ID + NAME["bob"]


def seeds_client():
    def sealed_body(content_tail, group=b"\x00", message_id=ID):
        # id, group choice, structured content (sender alice, right id), sent at, then the caller's text and image,
        # the plaintext kept, no header change, stored-at.
        return (message_id + group + b"\xc8" + b"\x00" + b"\x00" + b"\x07" + struct.pack("<Q", 1764400000000)
                + content_tail + b"\xc8" + b"\x0f" + b"\x00")

    def sealed(content_tail, group=b"\x00"):
        # seq, kind 0 (sealed), the sealed message, request id 0.
        return b"\x01" + b"\x00" + sealed_body(content_tail, group) + b"\x00"

    text = data("hello 👋".encode()) + b"\x00"
    yield "text", b"\x01" + sealed(text)
    yield "group-text", b"\x01" + sealed(text, group=b"\x01" + GROUP["team"])
    png = (data(b"hello") + b"\x01" + ID + data(b"cat.png") + data(b"image/png") + b"\x01" + b"\x00" + b"\x01"
           + data(b"pixels" * 10) + b"\x07")
    yield "image", b"\x01" + sealed(png)
    notice = b"\x02" + b"\x04" + GROUP["team"] + b"\x01" + NAME["carol"] + NAME["alice"] + b"\x00" + b"\x00"
    yield "notice", b"\x00" + notice
    receipt = b"\x01" + b"\x05" + ID + NAME["alice"] + b"\x00"
    yield "receipt", b"\x00" + receipt
    # Protocol version 2: seq, kind 8 (Deliveries), three entries (each at seq + its index): a sealed message's item
    # kept as serialized, bytes that do not parse, another sealed message; then request id 0.
    second_id = bytes([2]) + bytes(range(16, 32))
    deliveries = (b"\x01" + b"\x08" + b"\x02"
                  + b"\x01" + b"\x00" + sealed_body(text) + b"\x00" + b"\x00"
                  + b"\x01" + b"\x03" + b"\x00" + b"\xff" + data(b"\xff\xff\xff") + b"\x00"
                  + b"\x01" + b"\x00" + sealed_body(data(b"after it") + b"\x00", message_id=second_id) + b"\x00" + b"\x00"
                  + b"\x00")
    yield "deliveries", b"\x01" + deliveries
    yield "error", b"\x00" + b"\x00" + b"\x06" + b"\x00" + b"\x02" + data(b"oops") + b"\x00" + b"\x00"


def main():
    for target, seeds in [("FuzzFrameDecoder", seeds_frame_decoder()), ("FuzzNode", seeds_node()),
                          ("FuzzClientPushes", seeds_client())]:
        directory = os.path.join(HERE, "Corpus", target)
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.startswith("seed-"):
                os.remove(os.path.join(directory, name))
        for name, payload in seeds:
            with open(os.path.join(directory, "seed-" + name), "wb") as out:
                out.write(payload)


if __name__ == "__main__":
    main()
