"""Writes safetensors files and the sharded index the way Hugging Face checkpoints have them.

File: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}
padded with spaces to a multiple of 8, then the tensors' bytes back to back.
"""

import json
import struct


class StoredTensor:
    def __init__(self, name, dtype, shape, data):
        self.name = name
        self.dtype = dtype  # safetensors spelling: BF16, F32, I64, F8_E4M3, F8_E8M0, I8
        self.shape = tuple(int(s) for s in shape)
        self.data = data  # bytes, row-major

    @property
    def nbytes(self):
        return len(self.data)


def write_safetensors(path, tensors):
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for t in tensors:
        header[t.name] = {"dtype": t.dtype, "shape": list(t.shape),
                          "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for t in tensors:
            f.write(t.data)


def split_into_shards(tensors, n_shards):
    """Consecutive runs of roughly equal byte size; never an empty shard."""
    n_shards = max(1, min(n_shards, len(tensors)))
    total = sum(t.nbytes for t in tensors)
    shards, current, done = [], [], 0
    for i, t in enumerate(tensors):
        current.append(t)
        done += t.nbytes
        left_tensors = len(tensors) - i - 1
        left_shards = n_shards - len(shards) - 1
        target = total * (len(shards) + 1) / n_shards
        if left_shards > 0 and (done >= target or left_tensors == left_shards):
            shards.append(current)
            current = []
    shards.append(current)
    return shards


def write_checkpoint_files(out_dir, tensors, n_shards):
    """One `model.safetensors` when n_shards == 0, else shards plus model.safetensors.index.json."""
    if n_shards == 0:
        write_safetensors(out_dir / "model.safetensors", tensors)
        return
    shards = split_into_shards(tensors, n_shards)
    weight_map = {}
    for k, shard in enumerate(shards):
        file_name = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        write_safetensors(out_dir / file_name, shard)
        weight_map.update({t.name: file_name for t in shard})
    index = {"metadata": {"total_size": sum(t.nbytes for t in tensors)},
             "weight_map": dict(sorted(weight_map.items()))}
    with open(out_dir / "model.safetensors.index.json", "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
