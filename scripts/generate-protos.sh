#!/usr/bin/env bash
# Regenerates Sources/FastChatProtocol/fastchat.pb.swift from Protos/fastchat.proto.
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift, which this script builds from the swift-protobuf
# version the package resolves (about 10 minutes on 2 cores the first time), unless PROTOC_GEN_SWIFT points at one.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
    echo "protoc is missing: apt-get install protobuf-compiler" >&2
    exit 1
fi

plugin="${PROTOC_GEN_SWIFT:-}"
if [ -z "$plugin" ]; then
    swift package resolve >/dev/null
    (cd .build/checkouts/swift-protobuf && swift build -c release --product protoc-gen-swift >&2)
    plugin="$(pwd)/.build/checkouts/swift-protobuf/.build/release/protoc-gen-swift"
fi

protoc --plugin=protoc-gen-swift="$plugin" \
    --swift_out=Sources/FastChatProtocol \
    --swift_opt=Visibility=Public \
    --proto_path=Protos \
    Protos/fastchat.proto
echo "wrote Sources/FastChatProtocol/fastchat.pb.swift"
