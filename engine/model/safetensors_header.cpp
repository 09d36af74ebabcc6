#include "engine/model/safetensors_header.h"

#include "engine/model/model_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace flint::engine {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
  throw ModelError(message);
}

std::string inQuotes(std::string_view name) {
  std::string out(1, '\'');  // appended piecewise: GCC 12's -Wrestrict misfires on "'" + s + "'"
  out.append(name);
  out.push_back('\'');
  return out;
}

std::uint64_t readUint(const json& value, const std::string& what) {
  if (!value.is_number_unsigned())
    fail(what + " must be a non-negative integer, found " + value.dump());
  return value.get<std::uint64_t>();
}

std::vector<std::int64_t> parseShape(const json& shape, const std::string& tensor,
                                     std::uint64_t& elements) {
  if (!shape.is_array()) fail("tensor " + tensor + ": shape must be an array");
  std::vector<std::int64_t> dims;
  elements = 1;
  for (const json& dim : shape) {
    const std::uint64_t d = readUint(dim, "tensor " + tensor + ": a shape entry");
    if (d > std::uint64_t(std::numeric_limits<std::int64_t>::max()) ||
        (d != 0 && elements > std::numeric_limits<std::uint64_t>::max() / d))
      fail("tensor " + tensor + ": shape " + shape.dump() + " is too large");
    elements *= d;
    dims.push_back(std::int64_t(d));
  }
  return dims;
}

TensorEntry parseEntry(const std::string& name, const json& entry, std::uint64_t dataBytes) {
  const std::string tensor = inQuotes(name);
  if (name.empty()) fail("a tensor has an empty name");
  if (!entry.is_object()) fail("tensor " + tensor + ": entry must be an object");
  for (const auto& [key, value] : entry.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      fail("tensor " + tensor + ": unknown field " + inQuotes(key));
  }
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key)) fail("tensor " + tensor + ": missing field '" + key + "'");

  TensorEntry out;
  out.name = name;
  const json& dtype = entry["dtype"];
  if (!dtype.is_string()) fail("tensor " + tensor + ": dtype must be a string");
  const auto parsed = parseDType(dtype.get_ref<const std::string&>());
  if (!parsed) fail("tensor " + tensor + ": unsupported dtype " + dtype.dump());
  out.dtype = *parsed;

  std::uint64_t elements = 0;
  out.shape = parseShape(entry["shape"], tensor, elements);

  const json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    fail("tensor " + tensor + ": data_offsets must be [begin, end]");
  out.begin = readUint(offsets[0], "tensor " + tensor + ": data_offsets[0]");
  out.end = readUint(offsets[1], "tensor " + tensor + ": data_offsets[1]");
  const std::string range = "[" + std::to_string(out.begin) + ", " + std::to_string(out.end) + "]";
  if (out.begin > out.end)
    fail("tensor " + tensor + ": data_offsets " + range + " end before they begin");
  if (out.end > dataBytes)
    fail("tensor " + tensor + ": data_offsets " + range + " run past the end of the data (" +
         std::to_string(dataBytes) + " bytes); the file is truncated or the header is wrong");
  const std::uint64_t size = dtypeSize(out.dtype);
  if (elements > std::numeric_limits<std::uint64_t>::max() / size ||
      elements * size != out.end - out.begin)
    fail("tensor " + tensor + ": data_offsets " + range + " hold " +
         std::to_string(out.end - out.begin) + " bytes but " + std::string(dtypeName(out.dtype)) +
         " " + entry["shape"].dump() + " needs " + std::to_string(elements) + " x " +
         std::to_string(size));
  return out;
}

void checkNoOverlap(const std::vector<TensorEntry>& tensors) {
  std::vector<const TensorEntry*> byOffset;
  for (const TensorEntry& t : tensors)
    if (t.begin < t.end) byOffset.push_back(&t);  // empty tensors occupy no bytes
  std::sort(byOffset.begin(), byOffset.end(),
            [](const TensorEntry* a, const TensorEntry* b) { return a->begin < b->begin; });
  const TensorEntry* reachesFurthest = nullptr;
  for (const TensorEntry* t : byOffset) {
    if (reachesFurthest && t->begin < reachesFurthest->end)
      fail("tensors " + inQuotes(reachesFurthest->name) + " [" +
           std::to_string(reachesFurthest->begin) + ", " + std::to_string(reachesFurthest->end) +
           "] and " + inQuotes(t->name) + " [" + std::to_string(t->begin) + ", " +
           std::to_string(t->end) + "] overlap");
    if (!reachesFurthest || t->end > reachesFurthest->end) reachesFurthest = t;
  }
}

}  // namespace

std::uint64_t readHeaderLength(std::span<const std::byte> firstBytes, std::uint64_t fileSize) {
  if (fileSize < 8 || firstBytes.size() < 8)
    fail("the file is " + std::to_string(fileSize) +
         " bytes, too short for the 8-byte header length; it is truncated or not safetensors");
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | std::uint64_t(firstBytes[std::size_t(i)]);
  if (length > fileSize - 8)
    fail("the header length " + std::to_string(length) + " runs past the end of the " +
         std::to_string(fileSize) + "-byte file; it is truncated or not safetensors");
  if (length > kMaxHeaderBytes)
    fail("the header length " + std::to_string(length) + " is over the " +
         std::to_string(kMaxHeaderBytes) + "-byte limit");
  if (length < 2) fail("the header length " + std::to_string(length) + " is too short for JSON");
  return length;
}

std::vector<TensorEntry> parseHeaderJson(std::string_view text, std::uint64_t dataBytes) {
  json header;
  try {
    header = json::parse(text);
  } catch (const json::exception& e) {
    fail(std::string("the header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail("the header must be a JSON object");
  std::vector<TensorEntry> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail("__metadata__ must be an object");
      for (const auto& [key, value] : entry.items())
        if (!value.is_string()) fail("__metadata__ field " + inQuotes(key) + " must be a string");
      continue;
    }
    tensors.push_back(parseEntry(name, entry, dataBytes));
  }
  checkNoOverlap(tensors);
  return tensors;  // nlohmann's object keeps keys sorted, so this is sorted by name
}

SafetensorsHeader parseSafetensors(std::span<const std::byte> file) {
  SafetensorsHeader out;
  const std::uint64_t length = readHeaderLength(file, file.size());
  out.dataStart = 8 + length;
  const std::string_view text(reinterpret_cast<const char*>(file.data()) + 8, std::size_t(length));
  out.tensors = parseHeaderJson(text, file.size() - out.dataStart);
  return out;
}

}  // namespace flint::engine
