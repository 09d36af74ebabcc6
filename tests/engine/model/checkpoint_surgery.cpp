#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace flint::engine::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::uint64_t readLength(const std::string& bytes) {
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | std::uint8_t(bytes[std::size_t(i)]);
  return length;
}

std::string lengthBytes(std::uint64_t length) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((length >> (8 * i)) & 0xFF);
  return out;
}

}  // namespace

fs::path generatedCheckpoint(const std::string& name) {
  return fs::path(FLINT_TEST_CHECKPOINTS) / name;
}

json writerTotals(const std::string& name) {
  return json::parse(readFile(fs::path(FLINT_TEST_CHECKPOINTS) / (name + ".totals.json")));
}

ScratchCheckpoint::ScratchCheckpoint(const std::string& name) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = fs::path(FLINT_BINARY_DIR) / "test-scratch" /
         (std::string(test->test_suite_name()) + "." + test->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  fs::copy(generatedCheckpoint(name), dir_, fs::copy_options::recursive);
}

ScratchCheckpoint::~ScratchCheckpoint() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

fs::path ScratchCheckpoint::shardOf(const std::string& tensor) const {
  const fs::path index = dir_ / "model.safetensors.index.json";
  if (!fs::exists(index)) return dir_ / "model.safetensors";
  return dir_ / json::parse(readFile(index))["weight_map"].at(tensor).get<std::string>();
}

void ScratchCheckpoint::editHeader(const fs::path& file,
                                   const std::function<void(json&)>& edit) const {
  const std::string bytes = readFile(file);
  const std::uint64_t length = readLength(bytes);
  json header = json::parse(bytes.substr(8, std::size_t(length)));
  edit(header);
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  writeFile(file, lengthBytes(text.size()) + text + bytes.substr(std::size_t(8 + length)));
}

void ScratchCheckpoint::editJson(const std::string& fileName,
                                 const std::function<void(json&)>& edit) const {
  json document = json::parse(readFile(dir_ / fileName));
  edit(document);
  writeFile(dir_ / fileName, document.dump(1));
}

void ScratchCheckpoint::removeTensor(const std::string& tensor) const {
  editHeader(shardOf(tensor), [&](json& header) { header.erase(tensor); });
  if (fs::exists(dir_ / "model.safetensors.index.json"))
    editJson("model.safetensors.index.json",
             [&](json& index) { index["weight_map"].erase(tensor); });
}

void ScratchCheckpoint::truncate(const fs::path& file, std::uint64_t bytesToDrop) const {
  fs::resize_file(file, fs::file_size(file) - bytesToDrop);
}

void ScratchCheckpoint::overwriteHeaderLength(const fs::path& file, std::uint64_t length) const {
  std::string bytes = readFile(file);
  bytes.replace(0, 8, lengthBytes(length));
  writeFile(file, bytes);
}

}  // namespace flint::engine::testing
