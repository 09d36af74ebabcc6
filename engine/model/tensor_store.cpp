#include "engine/model/tensor_store.h"

#include "engine/logging/log.h"
#include "engine/model/model_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>

namespace flint::engine {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
  throw ModelError(message);
}

const TensorEntry* findEntry(const SafetensorsFile& shard, std::string_view name) {
  const auto& ts = shard.tensors();
  auto it = std::lower_bound(ts.begin(), ts.end(), name,
                             [](const TensorEntry& t, std::string_view n) { return t.name < n; });
  return (it != ts.end() && it->name == name) ? &*it : nullptr;
}

// weight_map: tensor name -> shard file name, checked to stay inside the model folder.
std::map<std::string, std::string> readWeightMap(const std::filesystem::path& indexPath,
                                                 std::uint64_t& totalSize) {
  const std::string file = indexPath.filename().string();
  std::ifstream in(indexPath, std::ios::binary);
  if (!in) fail("cannot read " + file);
  json index;
  try {
    index = json::parse(in);
  } catch (const json::exception& e) {
    fail(file + " is not valid JSON: " + e.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    fail(file + " has no \"weight_map\" object");
  totalSize = 0;
  if (index.contains("metadata") && index["metadata"].is_object() &&
      index["metadata"].contains("total_size") &&
      index["metadata"]["total_size"].is_number_unsigned())
    totalSize = index["metadata"]["total_size"].get<std::uint64_t>();
  std::map<std::string, std::string> weightMap;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) fail(file + ": weight_map entry '" + name + "' is not a file name");
    const std::string& shardName = shard.get_ref<const std::string&>();
    if (shardName.empty() || shardName.find('/') != std::string::npos || shardName == "." ||
        shardName == "..")
      fail(file + ": weight_map entry '" + name + "' names '" + shardName +
           "', which is not a file in the model folder");
    weightMap.emplace(name, shardName);
  }
  if (weightMap.empty()) fail(file + ": weight_map is empty");
  return weightMap;
}

}  // namespace

TensorStore TensorStore::open(const std::filesystem::path& dir) {
  TensorStore store;
  const auto indexPath = dir / kIndexFile;
  const auto singlePath = dir / kSingleFile;
  if (!std::filesystem::exists(indexPath)) {
    if (!std::filesystem::exists(singlePath))
      fail("no " + std::string(kIndexFile) + " or " + kSingleFile + " in " + dir.string());
    store.shards_.push_back(SafetensorsFile::open(singlePath));
    for (const TensorEntry& e : store.shards_[0]->tensors())
      store.tensors_.emplace_back(*store.shards_[0], e);
    return store;
  }

  std::uint64_t totalSize = 0;
  const auto weightMap = readWeightMap(indexPath, totalSize);
  std::map<std::string, std::vector<std::string>> namesByShard;
  for (const auto& [name, shard] : weightMap) namesByShard[shard].push_back(name);

  std::uint64_t dataBytes = 0;
  for (const auto& [shardName, names] : namesByShard) {
    const auto path = dir / shardName;
    if (!std::filesystem::exists(path))
      fail("shard " + shardName + " is missing: " + kIndexFile + " lists " +
           std::to_string(names.size()) + " tensors in it (e.g. '" + names.front() + "')");
    store.shards_.push_back(SafetensorsFile::open(path));
    const SafetensorsFile& shard = *store.shards_.back();
    for (const std::string& name : names) {
      const TensorEntry* entry = findEntry(shard, name);
      if (!entry)
        fail(std::string(kIndexFile) + " puts '" + name + "' in " + shardName +
             ", but that shard has no such tensor");
      store.tensors_.emplace_back(shard, *entry);
      dataBytes += entry->end - entry->begin;
    }
  }
  // Every listed tensor was found; now anything a shard holds beyond its list is a mismatch.
  std::size_t held = 0;
  for (const auto& shard : store.shards_) held += shard->tensors().size();
  if (held != store.tensors_.size()) {
    for (const auto& shard : store.shards_) {
      const std::string shardName = shard->path().filename().string();
      for (const TensorEntry& e : shard->tensors()) {
        auto it = weightMap.find(e.name);
        if (it == weightMap.end() || it->second != shardName)
          fail(shardName + " holds '" + e.name + "', which " + kIndexFile +
               (it == weightMap.end() ? " does not list" : " places in " + it->second));
      }
    }
  }
  std::sort(store.tensors_.begin(), store.tensors_.end(),
            [](const TensorView& a, const TensorView& b) { return a.name() < b.name(); });
  if (totalSize != 0 && totalSize != dataBytes)
    log::logger("engine")->warn("{}: metadata.total_size is {} but the tensors hold {} bytes",
                                kIndexFile, totalSize, dataBytes);
  return store;
}

const TensorView* TensorStore::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorView& t, std::string_view n) { return t.name() < n; });
  return (it != tensors_.end() && it->name() == name) ? &*it : nullptr;
}

std::size_t TensorStore::mappedShardCount() const {
  return std::size_t(
      std::count_if(shards_.begin(), shards_.end(), [](const auto& s) { return s->isMapped(); }));
}

}  // namespace flint::engine
