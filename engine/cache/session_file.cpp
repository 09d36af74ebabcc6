#include "engine/cache/session_file.h"

#include "engine/cache/hash64.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <unistd.h>

namespace flint::engine {
namespace {

constexpr char kMagic[8] = {'F', 'L', 'I', 'N', 'T', 'S', 'E', 'S'};

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t numerics;
  std::uint64_t model;
  std::uint64_t ids;
  std::uint64_t payloadBytes;
  std::uint64_t checksum;
};
static_assert(sizeof(Header) == 48);

const char* numericsName(std::uint32_t numerics) {
  switch (Numerics(numerics)) {
    case Numerics::Official:
      return "official";
    case Numerics::Fp32:
      return "fp32";
  }
  return "unknown";
}

// Appends to the temporary file and hashes what it writes.
class PayloadWriter {
 public:
  explicit PayloadWriter(std::ofstream& out) : out_(out) {}

  void bytes(const void* data, std::size_t n) {
    out_.write(static_cast<const char*>(data), std::streamsize(n));
    hash_.add(std::span(static_cast<const std::byte*>(data), n));
    size_ += n;
  }
  void u64(std::uint64_t v) { bytes(&v, sizeof v); }
  void floats(const std::vector<float>& v) {
    u64(v.size());
    bytes(v.data(), v.size() * sizeof(float));
  }
  void compressor(const CompressorCache& c) {
    u64(c.ratio);
    u64(c.width);
    u64(c.channels);
    floats(c.kv);
    floats(c.gate);
    floats(c.entries);
  }

  std::uint64_t size() const { return size_; }
  std::uint64_t checksum() const { return hash_.value(); }

 private:
  std::ofstream& out_;
  Hash64 hash_;
  std::uint64_t size_ = 0;
};

// Reads the payload (already checksummed) and checks every count against the model's shapes.
class PayloadReader {
 public:
  PayloadReader(std::ifstream& in, const std::filesystem::path& path, std::uint64_t size)
      : in_(in), path_(path), left_(size) {}

  [[noreturn]] void misfit(const std::string& what) const {
    throw SessionFileError("the session file " + path_.string() +
                           " does not fit this model: " + what);
  }
  void bytes(void* data, std::size_t n) {
    if (n > left_ || !in_.read(static_cast<char*>(data), std::streamsize(n)))
      misfit("it ends inside its payload");
    left_ -= n;
  }
  std::uint64_t u64() {
    std::uint64_t v;
    bytes(&v, sizeof v);
    return v;
  }
  void expect(std::uint64_t expected, const char* what) {
    const std::uint64_t found = u64();
    if (found != expected)
      misfit(std::string(what) + " is " + std::to_string(found) + ", expected " +
             std::to_string(expected));
  }
  // A float vector of exactly `count` values.
  void floats(std::vector<float>& v, std::uint64_t count, const char* what) {
    expect(count, what);
    v.resize(count);
    bytes(v.data(), count * sizeof(float));
  }
  // A float vector of any size the rest of the payload can hold.
  std::vector<float> floats() {
    const std::uint64_t count = u64();
    if (count > left_ / sizeof(float)) misfit("a drafter ring is longer than the file");
    std::vector<float> v(count);
    bytes(v.data(), count * sizeof(float));
    return v;
  }
  void compressor(CompressorCache& c, std::uint64_t length) {
    expect(c.ratio, "a compressor's ratio");
    expect(c.width, "a compressor's width");
    expect(c.channels, "a compressor's channels");
    floats(c.kv, c.kv.size(), "a compressor's kv rows");
    floats(c.gate, c.gate.size(), "a compressor's gate rows");
    floats(c.entries, c.ratio ? length / c.ratio * c.width : 0, "a compressor's entries");
  }
  std::uint64_t left() const { return left_; }

 private:
  std::ifstream& in_;
  const std::filesystem::path& path_;
  std::uint64_t left_;
};

std::filesystem::path temporaryPath(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return temp;
}

}  // namespace

void writeSessionFile(const std::filesystem::path& path, const SessionFileIdentity& identity,
                      std::span<const TokenId> ids, const SessionCache& cache,
                      const Speculator::State* drafter) {
  const std::filesystem::path temp = temporaryPath(path);
  const auto fail = [&](const std::string& why) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw SessionFileError("could not save the session to " + path.string() + ": " + why);
  };
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out) fail(std::strerror(errno));
  Header header{};
  out.write(reinterpret_cast<const char*>(&header), sizeof header);  // rewritten at the end

  PayloadWriter payload(out);
  payload.u64(ids.size());
  payload.bytes(ids.data(), ids.size_bytes());
  payload.u64(cache.layers.size());
  for (const LayerCache& layer : cache.layers) {
    payload.u64(layer.headDim);
    payload.floats(layer.window);
    payload.compressor(layer.compressor);
    payload.compressor(layer.indexer);
  }
  const std::uint8_t hasDrafter = drafter ? 1 : 0;
  payload.bytes(&hasDrafter, 1);
  if (drafter) {
    payload.u64(std::uint64_t(drafter->committed));
    payload.u64(drafter->rings.size());
    for (const auto& ring : drafter->rings) payload.floats(ring);
  }

  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kSessionFileVersion;
  header.numerics = std::uint32_t(identity.numerics);
  header.model = identity.model;
  header.ids = ids.size();
  header.payloadBytes = payload.size();
  header.checksum = payload.checksum();
  out.seekp(0);
  out.write(reinterpret_cast<const char*>(&header), sizeof header);
  out.close();
  if (!out) fail("writing failed (is the disk full?)");
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) fail(error.message());
}

SessionState readSessionFile(const std::filesystem::path& path, const SessionFileIdentity& identity,
                             const SessionCache& shape, bool drafter) {
  const std::string name = "the session file " + path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SessionFileError("could not open " + name + ": " + std::strerror(errno));
  std::error_code error;
  const std::uint64_t fileSize = std::filesystem::file_size(path, error);
  if (error) throw SessionFileError("could not read " + name + ": " + error.message());

  Header header{};
  if (fileSize < sizeof header || !in.read(reinterpret_cast<char*>(&header), sizeof header))
    throw SessionFileError(name + " is truncated (it has no complete header).");
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0)
    throw SessionFileError(name + " is not a Flint session file.");
  if (header.version != kSessionFileVersion)
    throw SessionFileError(name + " has format version " + std::to_string(header.version) +
                           "; this Flint reads version " + std::to_string(kSessionFileVersion) +
                           ".");
  if (header.model != identity.model)
    throw SessionFileError(name + " was saved by another model (or other weights).");
  if (header.numerics != std::uint32_t(identity.numerics))
    throw SessionFileError(name + " was saved with " + numericsName(header.numerics) +
                           " numerics; this engine runs " +
                           numericsName(std::uint32_t(identity.numerics)) + " numerics.");
  if (fileSize - sizeof header < header.payloadBytes)
    throw SessionFileError(name + " is truncated: it holds " +
                           std::to_string(fileSize - sizeof header) + " of its " +
                           std::to_string(header.payloadBytes) + " bytes of state.");
  if (fileSize - sizeof header > header.payloadBytes)
    throw SessionFileError(name + " is corrupt: it has bytes after its end.");

  // The checksum first, so a damaged file is called corrupt rather than misfitting.
  {
    Hash64 hash;
    std::vector<char> buffer(std::size_t(1) << 20);
    for (std::uint64_t left = header.payloadBytes; left > 0;) {
      const auto n = std::size_t(std::min<std::uint64_t>(left, buffer.size()));
      if (!in.read(buffer.data(), std::streamsize(n)))
        throw SessionFileError("could not read " + name + ".");
      hash.add(std::string_view(buffer.data(), n));
      left -= n;
    }
    if (hash.value() != header.checksum)
      throw SessionFileError(name + " is corrupt (its checksum does not match its contents).");
  }
  in.seekg(sizeof header);

  SessionState state;
  PayloadReader payload(in, path, header.payloadBytes);
  const std::uint64_t length = header.ids;
  payload.expect(length, "the number of cached ids");
  state.ids.resize(length);
  payload.bytes(state.ids.data(), length * sizeof(TokenId));
  state.cache = shape;
  state.cache.length = std::int64_t(length);
  payload.expect(shape.layers.size(), "the number of layers");
  for (LayerCache& layer : state.cache.layers) {
    payload.expect(layer.headDim, "a layer's head_dim");
    payload.floats(layer.window, layer.window.size(), "a window ring");
    payload.compressor(layer.compressor, length);
    payload.compressor(layer.indexer, length);
  }
  std::uint8_t hasDrafter = 0;
  payload.bytes(&hasDrafter, 1);
  if (bool(hasDrafter) != drafter)
    payload.misfit(drafter ? "it holds no drafter state" : "it holds a drafter's state");
  if (drafter) {
    Speculator::State s;
    s.committed = std::int64_t(payload.u64());
    if (s.committed != std::int64_t(length))
      payload.misfit("its drafter has seen " + std::to_string(s.committed) + " of " +
                     std::to_string(length) + " positions");
    const std::uint64_t stages = payload.u64();
    if (stages > payload.left()) payload.misfit("its drafter stages exceed the file");
    for (std::uint64_t i = 0; i < stages; ++i) s.rings.push_back(payload.floats());
    state.drafter = std::move(s);
  }
  if (payload.left() != 0) payload.misfit("it has more state than this model holds");
  return state;
}

}  // namespace flint::engine
