#!/usr/bin/env python3
"""An independent TensorBoard event-file reader (standard library only): checks each TFRecord's
length and data CRC32C (Castagnoli, masked as TensorFlow does) and decodes the Event protobuf by
its wire format (tensorflow/core/util/event.proto, summary.proto). Prints one JSON object:
{"records": n, "file_version": ..., "scalars": [[tag, step, value, wall_time], ...]}."""
import json
import struct
import sys

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def fields(buf):
    """(field number, wire type, value) for each field of a message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = varint(buf, i)
            v = buf[i:i + n]
            i += n
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, v


def main(path):
    data = open(path, "rb").read()
    i = 0
    out = {"records": 0, "file_version": None, "scalars": []}
    while i < len(data):
        header = data[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        (len_crc,) = struct.unpack("<I", data[i + 8:i + 12])
        if masked(header) != len_crc:
            raise ValueError("length CRC mismatch at byte %d" % i)
        payload = data[i + 12:i + 12 + length]
        (data_crc,) = struct.unpack("<I", data[i + 12 + length:i + 16 + length])
        if masked(payload) != data_crc:
            raise ValueError("data CRC mismatch at byte %d" % i)
        i += 16 + length
        out["records"] += 1
        wall, step, summary = None, 0, None
        for num, wt, v in fields(payload):
            if num == 1 and wt == 1:
                (wall,) = struct.unpack("<d", v)
            elif num == 2 and wt == 0:
                step = v
            elif num == 3 and wt == 2:
                out["file_version"] = v.decode()
            elif num == 5 and wt == 2:
                summary = v
        if summary is not None:
            for num, wt, v in fields(summary):
                if num != 1 or wt != 2:
                    continue
                tag, value = None, None
                for n2, w2, v2 in fields(v):
                    if n2 == 1 and w2 == 2:
                        tag = v2.decode()
                    elif n2 == 2 and w2 == 5:
                        (value,) = struct.unpack("<f", v2)
                out["scalars"].append([tag, step, value, wall])
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
