"""A Python client written the way openpi's `openpi_client` talks to a policy server: msgpack with numpy
arrays packed as {b"__ndarray__", b"data", b"dtype", b"shape"} (bin keys, `use_bin_type=True`), the
metadata frame first, `Authorization: Api-Key <key>`, errors as a text frame. Used by Interop.test.ts to
check that the gateway serves an unchanged openpi client. Prints one JSON line per step.

usage: python openpi_client.py ws://127.0.0.1:PORT/ws/mock API_KEY
"""
import json
import sys

import msgpack
import numpy as np
from websockets.sync.client import connect


def to_msgpack(obj):
    if isinstance(obj, np.ndarray):
        return {b"__ndarray__": True, b"data": obj.tobytes(), b"dtype": obj.dtype.str, b"shape": obj.shape}
    if isinstance(obj, np.generic):
        return {b"__npgeneric__": True, b"data": obj.item(), b"dtype": obj.dtype.str}
    return obj


def from_msgpack(obj):
    if b"__ndarray__" in obj:
        return np.ndarray(buffer=obj[b"data"], dtype=np.dtype(obj[b"dtype"]), shape=obj[b"shape"])
    if b"__npgeneric__" in obj:
        return np.dtype(obj[b"dtype"]).type(obj[b"data"])
    return obj


def pack(value):
    return msgpack.packb(value, default=to_msgpack, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, object_hook=from_msgpack)


def main():
    uri, key = sys.argv[1], sys.argv[2]
    with connect(uri, compression=None, max_size=None, additional_headers={"Authorization": f"Api-Key {key}"}) as ws:
        run(ws)


def run(ws):
    metadata = unpack(ws.recv())
    print(json.dumps({"metadata": metadata}), flush=True)
    state = np.linspace(-0.5, 0.5, 15, dtype=np.float32)
    for step in range(3):
        obs = {
            "observation/state": state,
            "observation/image": np.full((224, 224, 3), 7 * step, dtype=np.uint8),
            "observation/wrist_image": np.zeros((84, 84, 3), dtype=np.uint8),
            "observation/gain": np.float64(1.5),
            "prompt": "open the drawer",
        }
        ws.send(pack(obs))
        reply = ws.recv()
        if isinstance(reply, str):
            raise RuntimeError(f"Error in inference server:\n{reply}")
        result = unpack(reply)
        actions = result["actions"]
        print(json.dumps({
            "step": step,
            "shape": list(actions.shape),
            "dtype": str(actions.dtype),
            "actions": actions.tolist(),
            "server_timing": {k: float(v) for k, v in result["server_timing"].items()},
        }), flush=True)
    # A malformed request: openpi servers answer with a text frame, then close 1011.
    ws.send(b"\xc1")
    error = ws.recv()
    try:
        ws.recv()
    except Exception as closed:  # ConnectionClosedError carries the close code
        code = getattr(getattr(closed, "rcvd", None), "code", None)
        print(json.dumps({"error_frame_is_text": isinstance(error, str), "error": error, "close_code": code}), flush=True)


if __name__ == "__main__":
    main()
