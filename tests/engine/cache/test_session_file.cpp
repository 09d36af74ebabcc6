// Session::save / Session::load on flint-tiny: a resumed session generates exactly what a fresh
// prefill does (with and without speculation), and every bad file is one clear refusal that
// leaves the session as it was.
#include "engine/cache/session_file.h"
#include "engine/engine.h"
#include "tests/engine/cache/session_test_support.h"
#include "tests/engine/model/checkpoint_surgery.h"

#include <gtest/gtest.h>

#include <fstream>

namespace flint::engine {
namespace {

using testing::CollectingSink;
using testing::documentPrefix;
using testing::documentQuestion;
using testing::ScratchDir;
using testing::tinyEngine;

std::vector<char> readBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), std::streamsize(bytes.size()));
}

// Saves flint-tiny's state after the document prefix to `path`; returns the prefix.
std::vector<TokenId> savePrefix(Engine& engine, const std::filesystem::path& path) {
  const std::vector<TokenId> prefix = documentPrefix(engine);
  auto session = engine.newSession();
  EXPECT_EQ(session->prefill(prefix), prefix.size());
  session->save(path);
  return prefix;
}

void expectRefused(Session& session, const std::filesystem::path& path, const std::string& words) {
  const std::vector<TokenId> before(session.cachedIds().begin(), session.cachedIds().end());
  try {
    session.load(path);
    FAIL() << "loaded a bad file; expected an error saying '" << words << "'";
  } catch (const SessionFileError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::ranges::equal(session.cachedIds(), before)) << "a refused load changed it";
}

TEST(SessionFile, ResumedGenerationEqualsAFreshPrefill) {
  Engine& engine = tinyEngine();
  ASSERT_TRUE(engine.config().dspark) << "flint-tiny has a drafter; this test speculates with it";
  const ScratchDir dir;
  const auto path = dir.path() / "prefix.session";
  const std::vector<TokenId> prefix = savePrefix(engine, path);
  ASSERT_GT(prefix.size(), 300u);
  for (std::size_t drafts : {std::size_t(0), std::size_t(5)}) {
    SCOPED_TRACE(drafts ? "speculating" : "plain");
    GenerateRequest request = documentQuestion("Which colour is the lantern in room 12?");
    request.maxDrafts = drafts;
    CollectingSink sink;
    const GenerateResult fresh = engine.newSession()->generate(request, sink);

    auto session = engine.newSession();
    session->load(path);
    EXPECT_TRUE(std::ranges::equal(session->cachedIds(), prefix));
    const GenerateResult resumed = session->generate(request, sink);
    EXPECT_EQ(resumed.stats.reusedTokens, prefix.size());
    EXPECT_EQ(resumed.stats.reusedTokens + resumed.stats.promptTokens, fresh.stats.promptTokens);
    ASSERT_FALSE(fresh.tokens.empty());
    EXPECT_EQ(resumed.tokens, fresh.tokens);
    EXPECT_EQ(resumed.answer, fresh.answer);
    // The drafter's context came back too: it drafts and is accepted exactly as before.
    EXPECT_EQ(resumed.stats.spec.steps, fresh.stats.spec.steps);
    EXPECT_EQ(resumed.stats.spec.acceptedTokens, fresh.stats.spec.acceptedTokens);
    if (drafts) {
      EXPECT_GT(fresh.stats.spec.steps, 0u);
    }
  }
}

TEST(SessionFile, LoadingThenSavingWritesTheSameBytesDrafterContextIncluded) {
  Engine& engine = tinyEngine();
  const ScratchDir dir;
  const std::vector<TokenId> prefix = savePrefix(engine, dir.path() / "first.session");
  auto session = engine.newSession();
  session->load(dir.path() / "first.session");
  session->save(dir.path() / "second.session");
  EXPECT_EQ(readBytes(dir.path() / "first.session"), readBytes(dir.path() / "second.session"));

  // feed() builds no drafter context (its window rings stay empty): prefill()'s file holds
  // them, a window of keys per drafter stage.
  auto fed = engine.newSession();
  fed->feed(prefix);
  fed->save(dir.path() / "fed.session");
  const std::size_t stages = std::size_t(engine.config().nDraftStages);
  const std::size_t ringBytes =
      stages * std::size_t(engine.config().slidingWindow * engine.config().headDim) * 4;
  EXPECT_EQ(readBytes(dir.path() / "first.session").size(),
            readBytes(dir.path() / "fed.session").size() + ringBytes);
}

TEST(SessionFile, RefusesTruncatedCorruptAndForeignFiles) {
  Engine& engine = tinyEngine();
  const ScratchDir dir;
  const auto good = dir.path() / "good.session";
  savePrefix(engine, good);
  const std::vector<char> bytes = readBytes(good);
  auto session = engine.newSession();
  session->prefill(std::vector<TokenId>{0, 5, 9});

  const auto variant = [&](const std::string& name, auto change) {
    std::vector<char> copy = bytes;
    change(copy);
    writeBytes(dir.path() / name, copy);
    return dir.path() / name;
  };
  expectRefused(*session, variant("short", [](auto& b) { b.resize(b.size() - 100); }),
                "is truncated");
  expectRefused(*session, variant("header", [](auto& b) { b.resize(20); }), "is truncated");
  expectRefused(*session, variant("empty", [](auto& b) { b.clear(); }), "is truncated");
  expectRefused(*session, variant("flipped", [](auto& b) { b[b.size() / 2] ^= 0x10; }),
                "is corrupt");
  expectRefused(*session, variant("longer", [](auto& b) { b.push_back(0); }), "is corrupt");
  expectRefused(*session, variant("magic", [](auto& b) { b[0] = 'X'; }),
                "is not a Flint session file");
  expectRefused(*session, variant("version", [](auto& b) { b[8] = 99; }), "format version 99");
  expectRefused(*session, dir.path() / "missing", "could not open");

  // The same model with other numerics, and another model.
  expectRefused(*tinyEngine(Numerics::Fp32).newSession(), good,
                "was saved with official numerics; this engine runs fp32");
  LoadOptions options;
  options.threads = 2;
  auto other = Engine::load(testing::generatedCheckpoint("small_dspark"), options);
  expectRefused(*other->newSession(), good, "was saved by another model");

  // The good file still loads after all that.
  session->load(good);
  EXPECT_EQ(session->cachedIds().size(), documentPrefix(engine).size());
}

TEST(SessionFile, SavingReplacesTheFileWholeAndLeavesNoTemporaryFile) {
  Engine& engine = tinyEngine();
  const ScratchDir dir;
  const auto path = dir.path() / "s.session";
  auto session = engine.newSession();
  session->prefill(std::vector<TokenId>{0, 5, 9, 11});
  session->save(path);
  session->prefill(std::vector<TokenId>{12, 13});
  session->save(path);
  auto loaded = engine.newSession();
  loaded->load(path);
  EXPECT_EQ(std::vector<TokenId>(loaded->cachedIds().begin(), loaded->cachedIds().end()),
            (std::vector<TokenId>{0, 5, 9, 11, 12, 13}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
  EXPECT_THROW(session->save(dir.path() / "no-such-folder" / "s.session"), SessionFileError);
}

}  // namespace
}  // namespace flint::engine
