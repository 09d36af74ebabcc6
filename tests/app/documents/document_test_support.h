#pragma once
// Shared by the document tests: a fresh folder per test, files written into it, the bundled
// flint-tiny tokenizer, and the committed PDFs (data/make_pdfs.py writes them).
#include "app/paths.h"
#include "engine/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace flint::documents::testing {

class DocumentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "flint-docs-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    const auto file = dir_ / name;
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    return file;
  }

  static const engine::Tokenizer& tokenizer() {
    static const engine::Tokenizer tok = engine::Tokenizer::fromModelDir(app::defaultModelDir());
    return tok;
  }

  static std::filesystem::path data(const std::string& name) {
    return std::filesystem::path(FLINT_SOURCE_DIR) / "tests/app/documents/data" / name;
  }

  std::filesystem::path dir_;
};

}  // namespace flint::documents::testing
