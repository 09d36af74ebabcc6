#include "engine/model/safetensors_file.h"

#include "engine/model/model_error.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace flint::engine {
namespace {

[[noreturn]] void failFile(const std::filesystem::path& path, const std::string& message) {
  throw ModelError(path.filename().string() + ": " + message);
}

// Reads exactly `size` bytes at `offset`, retrying short reads; `what` names the bytes in the
// error (a file that shrank reads 0 bytes: "it ends early").
void readAt(int fd, const std::filesystem::path& path, std::uint64_t offset, std::byte* out,
            std::size_t size, const std::string& what = "the header") {
  while (size > 0) {
    const ssize_t got = ::pread(fd, out, size, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) failFile(path, "cannot read " + what + ": " + std::strerror(errno));
    if (got == 0) failFile(path, "cannot read " + what + ": the file ends early (did it change?)");
    out += got;
    offset += std::uint64_t(got);
    size -= std::size_t(got);
  }
}

}  // namespace

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd_ < 0) failFile(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  if (::fstat(file->fd_, &info) != 0 || !S_ISREG(info.st_mode))
    failFile(path, "not a regular file");
  file->fileSize_ = std::uint64_t(info.st_size);

  try {
    std::byte lengthBytes[8] = {};
    if (file->fileSize_ >= 8) readAt(file->fd_, path, 0, lengthBytes, 8);
    const std::uint64_t length = readHeaderLength(lengthBytes, file->fileSize_);
    std::string json(std::size_t(length), '\0');
    readAt(file->fd_, path, 8, reinterpret_cast<std::byte*>(json.data()), json.size());
    file->dataStart_ = 8 + length;
    file->tensors_ = parseHeaderJson(json, file->fileSize_ - file->dataStart_);
  } catch (const ModelError& e) {
    failFile(path, e.what());
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (const std::byte* m = mapping_.load())
    ::munmap(const_cast<std::byte*>(m), std::size_t(fileSize_));
  if (fd_ >= 0) ::close(fd_);
}

void SafetensorsFile::read(const TensorEntry& tensor, std::span<std::byte> out) const {
  const std::size_t size = std::size_t(tensor.end - tensor.begin);
  if (out.size() != size)
    failFile(path_, "tensor " + tensor.name + " needs " + std::to_string(size) + " bytes, not " +
                        std::to_string(out.size()));
  readAt(fd_, path_, dataStart_ + tensor.begin, out.data(), size, "tensor " + tensor.name);
}

void SafetensorsFile::map() const {
  std::call_once(mapOnce_, [this] {
    if (fileSize_ == 0) return;
    void* p = ::mmap(nullptr, std::size_t(fileSize_), PROT_READ, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) failFile(path_, std::string("cannot memory-map: ") + std::strerror(errno));
    mapping_ = static_cast<const std::byte*>(p);
  });
}

std::span<const std::byte> SafetensorsFile::bytes(const TensorEntry& tensor) const {
  map();
  if (tensor.begin == tensor.end) return {};
  return {mapping_.load() + dataStart_ + tensor.begin, std::size_t(tensor.end - tensor.begin)};
}

bool SafetensorsFile::isMapped() const {
  return mapping_.load() != nullptr;
}

}  // namespace flint::engine
