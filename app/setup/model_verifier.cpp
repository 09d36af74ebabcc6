#include "app/setup/model_verifier.h"

#include "app/system/system_report.h"
#include "engine/model/model_error.h"
#include "engine/model/model_files.h"
#include "engine/model/safetensors_header.h"

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <set>

namespace flint::app {
namespace {

namespace fs = std::filesystem;
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr const char* kSingleFile = "model.safetensors";

// An exception's text as the end of a sentence of ours.
std::string clause(const std::exception& e) {
  std::string text = e.what();
  while (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// The size the shard's header implies, and the tensor names it holds. Reads only the header.
struct ShardHeader {
  std::uint64_t impliedBytes = 0;
  std::set<std::string> names;
  std::uint64_t dataBytes = 0;  // sum of tensor sizes, as the index's total_size counts them
};

ShardHeader readShardHeader(const fs::path& path, std::uint64_t fileSize) {
  std::ifstream in(path, std::ios::binary);
  std::array<std::byte, 8> first{};
  if (!in.read(reinterpret_cast<char*>(first.data()), first.size()))
    throw engine::ModelError("it is shorter than a safetensors header");
  // The length must fit in the file as it is; a header cut short is itself a truncation.
  const std::uint64_t length = engine::readHeaderLength(first, fileSize);
  std::string json(length, '\0');
  if (!in.read(json.data(), std::streamsize(length)))
    throw engine::ModelError("its header cannot be read");
  // Offsets are checked against an unbounded data section: the point is what the header says.
  const auto entries = engine::parseHeaderJson(json, UINT64_MAX / 2);
  ShardHeader header;
  std::uint64_t end = 0;
  for (const auto& e : entries) {
    end = std::max(end, e.end);
    header.dataBytes += e.end - e.begin;
    header.names.insert(e.name);
  }
  header.impliedBytes = 8 + length + end;
  return header;
}

// A Hugging Face cache keeps each large file as blobs/<sha256> and links to it from snapshots/.
std::string digestFromCacheName(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_symlink(path, ec)) return {};
  const std::string name = fs::read_symlink(path, ec).filename().string();
  if (ec || name.size() != 64) return {};
  for (char c : name)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
  return name;
}

bool sha256File(const fs::path& path, ShardCheck& shard, std::uint64_t& done, std::uint64_t total,
                const VerifyOptions& options) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> block(std::size_t(8) << 20);
  while (in) {
    if (options.cancel && options.cancel->load()) return false;
    in.read(block.data(), std::streamsize(block.size()));
    const auto got = std::size_t(in.gcount());
    EVP_DigestUpdate(ctx.get(), block.data(), got);
    done += got;
    if (options.progress) options.progress({done, total, shard.name});
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  shard.sha256.clear();
  for (unsigned i = 0; i < length; ++i) {
    shard.sha256 += kHex[digest[i] >> 4];
    shard.sha256 += kHex[digest[i] & 15];
  }
  return true;
}

}  // namespace

std::string ModelVerification::verdict() const {
  std::size_t good = 0;
  for (const auto& s : shards) good += s.state == ShardState::Ok;
  if (ok())
    return "The model in " + dir.string() + " is complete: " + std::to_string(shards.size()) +
           " shard(s), " + formatBytes(totalBytes) +
           ", every one the size its header implies, and every " + "tensor matches config.json.";
  std::string text = "The model in " + dir.string() + " cannot be used yet (" +
                     std::to_string(good) + " of " + std::to_string(shards.size()) +
                     " shards are fine):";
  for (const auto& p : problems) text += "\n  - " + p;
  return text;
}

ModelVerification verifyModelFolder(const fs::path& dir, const VerifyOptions& options) {
  ModelVerification result;
  result.dir = dir;
  auto& problems = result.problems;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    problems.push_back(dir.string() + " is not a folder.");
    return result;
  }
  if (!fs::exists(dir / "config.json", ec))
    problems.push_back("config.json is missing: this is not a Hugging Face model folder.");

  // Which shards, and which tensors each should hold.
  std::map<std::string, std::set<std::string>> expected;
  std::uint64_t indexTotal = 0;
  if (fs::exists(dir / kIndexFile, ec)) {
    try {
      std::ifstream in(dir / kIndexFile, std::ios::binary);
      const auto index = nlohmann::json::parse(in);
      for (const auto& [name, shard] : index.at("weight_map").items())
        expected[shard.get<std::string>()].insert(name);
      if (index.contains("metadata") && index["metadata"].contains("total_size"))
        indexTotal = index["metadata"]["total_size"].get<std::uint64_t>();
    } catch (const std::exception&) {
      problems.push_back(std::string(kIndexFile) +
                         " is damaged (not the JSON a download writes); fetch it again.");
      return result;
    }
    if (expected.empty()) problems.push_back(std::string(kIndexFile) + " lists no tensors.");
  } else if (fs::exists(dir / kSingleFile, ec)) {
    expected[kSingleFile];
  } else {
    problems.push_back("There is neither " + std::string(kIndexFile) + " nor " + kSingleFile +
                       " in the folder.");
    return result;
  }

  std::uint64_t headerTotal = 0;
  for (const auto& [name, names] : expected) {
    ShardCheck shard;
    shard.name = name;
    const fs::path path = dir / name;
    if (name.find('/') != std::string::npos || !fs::is_regular_file(path, ec)) {
      shard.state = ShardState::Missing;
      shard.problem = name + " is missing.";
      result.shards.push_back(shard);
      continue;
    }
    shard.actualBytes = fs::file_size(path, ec);
    result.totalBytes += shard.actualBytes;
    try {
      const ShardHeader header = readShardHeader(path, shard.actualBytes);
      shard.expectedBytes = header.impliedBytes;
      headerTotal += header.dataBytes;
      if (shard.actualBytes < header.impliedBytes) {
        shard.state = ShardState::Truncated;
        shard.problem = name + " is truncated: it has " + std::to_string(shard.actualBytes) +
                        " bytes but its header implies " + std::to_string(header.impliedBytes) +
                        " (the download was cut short); fetch it again.";
      } else if (shard.actualBytes > header.impliedBytes) {
        shard.state = ShardState::Oversized;
        shard.problem = name + " has " + std::to_string(shard.actualBytes - header.impliedBytes) +
                        " bytes after its last tensor; it is not the file the index describes.";
      }
      std::size_t absent = 0;
      std::string firstAbsent;
      for (const auto& tensor : names)
        if (!header.names.count(tensor) && absent++ == 0) firstAbsent = tensor;
      if (absent && shard.state == ShardState::Ok) {
        shard.state = ShardState::Unreadable;
        shard.problem = name + " lacks " + std::to_string(absent) +
                        " tensor(s) the index places in it (first: " + firstAbsent + ").";
      }
    } catch (const std::exception& e) {
      shard.state = ShardState::Unreadable;
      shard.problem = name + " is not a valid safetensors file: " + clause(e) + ".";
    }
    result.shards.push_back(shard);
  }
  for (const auto& s : result.shards)
    if (s.state != ShardState::Ok) problems.push_back(s.problem);

  if (!problems.empty()) return result;
  if (indexTotal && indexTotal != headerTotal)
    problems.push_back("The index says the tensors take " + std::to_string(indexTotal) +
                       " bytes but the shards' headers add up to " + std::to_string(headerTotal) +
                       "; the index and the shards come from different downloads.");
  try {
    engine::openModelFiles(dir);
  } catch (const std::exception& e) {
    problems.push_back("The shards do not match config.json: " + clause(e) + ".");
  }

  if (options.checksum && problems.empty()) {
    std::uint64_t done = 0;
    for (auto& shard : result.shards) {
      if (!sha256File(dir / shard.name, shard, done, result.totalBytes, options)) {
        problems.push_back("The checksum was cancelled; nothing was judged by it.");
        break;
      }
      const std::string named = digestFromCacheName(dir / shard.name);
      if (!named.empty() && named != shard.sha256) {
        shard.checksumMatches = false;
        problems.push_back(shard.name + " is damaged: its SHA-256 is " + shard.sha256 +
                           " but the download cache recorded " + named + "; fetch it again.");
      }
    }
  }
  return result;
}

}  // namespace flint::app
