#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/.

Seeds are named seed-*; running this again replaces them and leaves every
other corpus file alone. PDUs come from proto-fixtures/smpp/*.hex; the
inputs of targets that read a small script (pdu_body, pdu_tlv, receipt,
session_frames, ...) are laid out as each target's doc comment describes.
The command id and TLV tag orders are read from the Rust sources so they
follow CommandId::ALL and TlvTag::is_known. Standard library only.
"""

import pathlib
import re
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
FIXTURES = ROOT / "proto-fixtures" / "smpp"


def fixtures():
    """Every fixture PDU as (name, bytes), in name order."""
    out = []
    for path in sorted(FIXTURES.glob("*.hex")):
        out.append((path.stem, bytes.fromhex(path.read_text().strip())))
    return out


def command_ids():
    """CommandId::ALL: the wire values in declaration order."""
    text = (ROOT / "src/smpp/pdu/command_id.rs").read_text()
    body = text.split("command_ids! {", 1)[1]
    return [int(v.replace("_", ""), 16) for v in re.findall(r"=\s*0x([0-9A-Fa-f_]+),\s*\"", body)]


def known_tags():
    """(tag, rust value type) of every typed TLV, tags ascending as the
    pdu_tlv target lists them."""
    tags = dict(
        (name, int(value, 16))
        for name, value in re.findall(
            r"^\s*([A-Z0-9_]+) = 0x([0-9A-Fa-f]+),", (ROOT / "src/smpp/pdu/tlv/tags.rs").read_text(), re.M
        )
    )
    variants = re.findall(
        r"^\s*[A-Za-z]+\((.+)\) = ([A-Z0-9_]+);", (ROOT / "src/smpp/pdu/tlv/mod.rs").read_text(), re.M
    )
    return sorted((tags[name], ty) for ty, name in variants)


def sample_value(ty):
    """A value of the right shape for a TLV value type."""
    fixed = {"u8": 1, "u16": 2, "u32": 4, "MessageState": 1, "CommandStatus": 4, "NetworkErrorCode": 3,
             "BroadcastContentType": 3, "BroadcastFrequencyInterval": 3}
    if ty in fixed:
        return bytes(range(1, fixed[ty] + 1))
    if ty.startswith("COctetString") or ty.startswith("MessageId"):
        return b"0A1B2C3D\0"
    if ty.startswith("SmppTime"):
        return b"261122120000000+\0"
    if ty.startswith("OctetString"):
        low = int(re.search(r"'a, (\d+),", ty).group(1))
        return b"1" * max(low, 1)
    if ty == "AlertOnMessageDelivery":
        return b""
    if ty.startswith("BroadcastAreaIdentifier") or ty.startswith("BillingIdentification"):
        return b"\x00area"
    return b"\x00"


def pack_septets(septets, fill):
    """GSM 7-bit packing after `fill` zero bits (TS 23.038 6.1.2.1), with
    CR in 7 spare bits at the end, as simgate packs."""
    acc, bits, out = 0, fill, bytearray()
    for s in septets:
        acc |= (s & 0x7F) << bits
        bits += 7
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        out.append((acc | (0x0D << 1 if bits == 1 else 0)) & 0xFF)
    return bytes(out)


def pdu(command_id, sequence, body, status=0):
    return struct.pack(">IIII", 16 + len(body), command_id, status, sequence) + body


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"seed-{name}").write_bytes(data)


def main():
    ids = command_ids()
    assert len(ids) >= 30, f"found only {len(ids)} command ids"
    for directory in CORPUS.glob("*"):
        for old in directory.glob("seed-*"):
            old.unlink()

    pdus = fixtures()
    by_name = dict(pdus)
    for name, frame in pdus:
        write("pdu_decode", name, frame)
        write("pdu_roundtrip", name, frame)
        command_id = struct.unpack(">I", frame[4:8])[0]
        status = struct.unpack(">I", frame[8:12])[0]
        write("pdu_body", name, bytes([ids.index(command_id), 191 + status if status <= 64 else 255]) + frame[16:])
        write("frame", name, b"\x00" + frame + frame[:7])
    write("frame", "stream", b"\x00" + b"".join(f for _, f in pdus[:6]))
    write("frame", "small-max", b"\x15" + by_name["node-smpp-enquire_link"])

    for index, (tag, ty) in enumerate(known_tags()):
        write("pdu_tlv", f"{tag:04x}", bytes([index]) + sample_value(ty))
    write("pdu_tlv", "unknown-1400", b"\xe0\x14\x00vendor")

    receipts = [
        b"id:0A1B2C3D sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 Text:Hello",
        b"id:0000123456 sub:001 dlvrd:000 submit_date:20261122120000 done_date:20261122120100 stat:UNDELIV err:021",
        b"ID:abc-def-123 STAT:expired Text:stat:DELIVRD inside the text",
        b"id:42 stat:ENROUTE foo:bar sub:x1 err:9999999 submitdate:2613011200 Text:",
    ]
    for i, text in enumerate(receipts):
        write("receipt", f"text-{i}", b"\x00" + text)
    tlv_only = b"\x07" + b"\x02" + b"\x03\x00\x01" + bytes([9]) + b"0A1B2C3D\0"
    write("receipt", "tlvs-only", tlv_only)
    write("receipt", "tlvs-and-text", tlv_only + receipts[0])
    write("receipt", "tlv-state-disagrees", b"\x01\x05" + receipts[0])

    for name, pair in {"hex-decimal": b"0A1B2C3D\xff169552957", "zeros": b"000123\xff123",
                       "text": b"abc-def\xffABC-DEF", "cross-base": b"10\xff16",
                       "uuid": b"550e8400e29b41d4a716446655440000\xff 550E8400E29B41D4A716446655440000\0"}.items():
        write("message_id", name, pair)

    hello = bytes([0x68, 0x65, 0x6C, 0x6C, 0x6F])
    write("gsm7", "unpacked", bytes([0, 5]) + hello + bytes([0x1B, 0x65, 0x1B, 0x1B, 0x00, 0x0D, 0x1B]))
    # "hellohello" packed after a 6-octet UDH: 1 fill bit.
    write("gsm7", "packed-fill1", bytes([1, 10]) + pack_septets(hello * 2, 1))
    # Seven septets leave 7 spare bits: CR padding.
    write("gsm7", "packed-cr-pad", bytes([0, 7]) + pack_septets(hello + hello[:2], 0))
    write("gsm7", "bad-fill", bytes([7, 1, 0x41]))

    write("text_decode", "ucs2", b"\x08" + "Привет 😀 ok".encode("utf-16-be"))
    write("text_decode", "ucs2-lone-surrogate", b"\x08\xd8\x3d\x00\x41\xde\x00")
    write("text_decode", "latin1", b"\x03caf\xe9 \xa3 \xff")
    write("text_decode", "ia5", b"\x01Your code is 4711")
    write("text_decode", "gsm7", b"\x00" + hello + b"\x1b\x65")
    write("text_decode", "class2-8bit", b"\xf6\x02\x70\x00\x00\x10")
    write("text_decode", "dcs-group", b"\x18" + "é".encode("utf-16-be"))

    udhs = {
        "concat8": b"\x05\x00\x03\x2a\x02\x01hello",
        "concat16": b"\x06\x08\x04\x12\x34\x02\x02world",
        "ports16": b"\x06\x05\x04\x0b\x84\x23\xf0data",
        "ports8-and-concat": b"\x09\x04\x02\x10\x20\x00\x03\x07\x03\x03rest",
        "ota-command-packet": b"\x02\x70\x00\x00\x10\x15",
        "bad-concat-kept": b"\x05\x00\x03\x2a\x02\x03x",
        "beyond": b"\x07\x00\x03\x01",
    }
    for name, data in udhs.items():
        write("udh", name, data)

    # reassembly: limits (max_messages, max_parts, max_total_octets,
    # timeout), then ops: 0 offer key ref-kind ref total seq len payload,
    # 2 key len user_data, 3 advance, 4 expire.
    limits = bytes([3, 9, 120, 10])
    offer = lambda key, kind, ref, total, seq, payload: bytes([0, key, kind, ref, total, seq, len(payload)]) + payload
    write("reassembly", "complete", limits + offer(0, 0, 1, 3, 3, b"C") + offer(0, 0, 1, 3, 1, b"A")
          + offer(0, 0, 1, 3, 2, b"B"))
    write("reassembly", "duplicate-and-mismatch", limits + offer(1, 1, 0, 2, 1, b"x") + offer(1, 1, 0, 2, 1, b"y")
          + offer(1, 1, 0, 3, 2, b"z") + offer(1, 1, 0, 2, 2, b"w"))
    write("reassembly", "evict-and-expire", limits + b"".join(offer(k, 2, 1, 4, 1, b"p" * 50) for k in range(3))
          + offer(0, 0, 0, 2, 1, b"q") + bytes([3, 11, 4]) + offer(2, 0, 0, 2, 2, b"r") + bytes([3, 15, 4]))
    write("reassembly", "user-data", limits + bytes([2, 0, 11]) + udhs["concat8"] + bytes([2, 0, 10])
          + b"\x05\x00\x03\x2a\x02\x02more")

    # session_frames: config (bind kind, window, response timeout,
    # enquire_link interval, max_unanswered, bind?), then ops.
    bind_resp_index = {0: ids.index(0x80000002), 1: ids.index(0x80000001), 2: ids.index(0x80000009)}
    deliver = by_name["node-smpp-deliver_sm_mo"]
    receipt = by_name["smpplib-deliver_sm_receipt"]

    def built(command_id, pick, body, status=0, raw_sequence=None):
        seq = b"" if raw_sequence is None else struct.pack(">I", raw_sequence)
        return bytes([1, ids.index(command_id), status, pick]) + seq + bytes([len(body)]) + body

    for kind in range(3):
        script = bytes([kind, 1, 5, 20, 2, 1])
        script += bytes([1, bind_resp_index[kind], 0, 0, 5]) + b"SMSC\0"
        script += bytes([5, 0])  # submit the canned submit_sm
        script += built(0x80000004, 4, b"msg-1\0")  # its response (sent[1])
        script += built(0x00000005, 3, deliver[16:], raw_sequence=77)
        script += built(0x00000005, 3, receipt[16:], raw_sequence=78)
        script += bytes([6, 0, 0])  # respond to the first deliver_sm
        script += bytes([4, 120])  # 30 s: enquire_link due
        script += built(0x80000015, 8, b"")  # its response (sent[2])
        script += bytes([0, 16]) + by_name["node-smpp-enquire_link"]
        script += bytes([7]) + built(0x80000006, 12, b"")  # unbind, unbind_resp (sent[3])
        write("session_frames", f"bind-kind{kind}", script)
    refused = bytes([2, 1, 5, 20, 2, 1, 1, bind_resp_index[2], 200 + 14, 0, 0, 4, 200])
    write("session_frames", "bind-refused", refused)
    silent = bytes([0, 2, 3, 10, 1, 1, 4, 20, 8, 0, 16]) + by_name["node-smpp-outbind"][:16]
    write("session_frames", "bind-timeout", silent)
    write("session_frames", "outbind-open", bytes([1, 1, 5, 20, 2, 0, 0, len(by_name["node-smpp-outbind"])])
          + by_name["node-smpp-outbind"])

    total = sum(p.stat().st_size for p in CORPUS.glob("*/seed-*"))
    count = len(list(CORPUS.glob("*/seed-*")))
    print(f"wrote {count} seeds, {total} octets, under {CORPUS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
