#include "engine/cache/model_fingerprint.h"

#include "engine/cache/hash64.h"
#include "engine/model/model_error.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace flint::engine {
namespace {

constexpr std::uint64_t kSampleBytes = 64 * 1024;

void hashRange(std::ifstream& in, const std::filesystem::path& path, std::uint64_t offset,
               std::uint64_t count, Hash64& hash) {
  std::vector<char> buffer(count);
  in.seekg(std::streamoff(offset));
  if (!in.read(buffer.data(), std::streamsize(count)))
    throw ModelError("could not read " + path.string() + " to fingerprint the model");
  hash.add(std::string_view(buffer.data(), buffer.size()));
}

void hashShard(const std::filesystem::path& path, Hash64& hash) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError("could not open " + path.string() + " to fingerprint the model");
  const std::uint64_t size = std::filesystem::file_size(path);
  std::uint64_t headerBytes = 0;
  if (!in.read(reinterpret_cast<char*>(&headerBytes), 8) || 8 + headerBytes > size)
    throw ModelError("could not read the header of " + path.string() + " to fingerprint the model");
  hash.addValue(size);
  hashRange(in, path, 8, headerBytes, hash);
  const std::uint64_t dataStart = 8 + headerBytes, data = size - dataStart;
  hashRange(in, path, dataStart, std::min(data, kSampleBytes), hash);
  hashRange(in, path, size - std::min(data, kSampleBytes), std::min(data, kSampleBytes), hash);
}

}  // namespace

std::uint64_t modelFingerprint(const ModelFiles& files) {
  Hash64 hash;
  {
    const std::filesystem::path config = files.dir / "config.json";
    std::ifstream in(config, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
      throw ModelError("could not read " + config.string() + " to fingerprint the model");
    hash.add(text);
  }
  std::set<std::string> shards;  // sorted: the order of the tensor list must not matter
  for (const TensorView& t : files.weights.tensors()) shards.insert(t.shardName());
  for (const std::string& shard : shards) {
    hash.add(shard);
    hashShard(files.dir / shard, hash);
  }
  return hash.value();
}

}  // namespace flint::engine
