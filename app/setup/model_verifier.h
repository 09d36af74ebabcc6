#pragma once
// Checks a downloaded model folder before anything is planned on it: the index is complete,
// every shard it names is present with the size its own header implies (a download cut short
// leaves a shorter file), and the tensors match the config. Every problem is collected, so one
// run names all the shards to fetch again. An optional checksum reads every byte.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace flint::app {

enum class ShardState { Ok, Missing, Truncated, Oversized, Unreadable };

struct ShardCheck {
  std::string name;
  ShardState state = ShardState::Ok;
  std::uint64_t expectedBytes = 0;  // from its header: 8 + header + the last tensor's end
  std::uint64_t actualBytes = 0;
  std::string problem;          // a sentence when not Ok
  std::string sha256;           // with a checksum run
  bool checksumMatches = true;  // false: differs from the digest its download cache names
};

struct ModelVerification {
  std::filesystem::path dir;
  std::vector<ShardCheck> shards;
  std::vector<std::string> problems;  // every problem, as sentences (shards' included)
  std::uint64_t totalBytes = 0;       // the shards' sizes on disk
  bool ok() const { return problems.empty(); }
  std::string verdict() const;  // one paragraph for the user
};

struct ChecksumProgress {
  std::uint64_t bytesDone = 0;
  std::uint64_t bytesTotal = 0;
  std::string shard;
};

struct VerifyOptions {
  bool checksum = false;  // read every byte and compute SHA-256 per shard
  std::function<void(const ChecksumProgress&)> progress;  // during the checksum, now and then
  const std::atomic<bool>* cancel = nullptr;              // stops the checksum between blocks
};

ModelVerification verifyModelFolder(const std::filesystem::path& dir,
                                    const VerifyOptions& options = {});

}  // namespace flint::app
