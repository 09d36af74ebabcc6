// What users and crashes throw at the store: bytes that are not UTF-8, a 50 MB message,
// random garbage as files, queries and imports; a writer killed mid-stream again and again;
// a reader running beside a writer.
#include "app/store/conversation_service.h"
#include "app/store/export.h"
#include "app/store/import.h"
#include "app/store/store_error.h"
#include "app/store/utf8.h"
#include "tests/app/store/store_test_support.h"

#include <fmt/format.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>

namespace flint::store {
namespace {

using testing::StoreTest;

constexpr char kNotUtf8Bytes[] = "caf\xC3\xA9 \xFF\xFE bad \xC3 end \xED\xA0\x80";
const std::string kNotUtf8 =
    std::string(kNotUtf8Bytes, sizeof kNotUtf8Bytes - 1) + std::string(1, '\0') + "after NUL";

TEST_F(StoreTest, InvalidUtf8AndNulBytesComeBackIntact) {
  ConversationService service(dbPath());
  const auto chat = service.create(kNotUtf8);
  const auto id = service.addUserMessage(chat, kNotUtf8);
  EXPECT_EQ(getMessage(service.database(), id).content, kNotUtf8);
  EXPECT_EQ(getConversation(service.database(), chat).title, kNotUtf8);
  EXPECT_NO_THROW(service.search(kNotUtf8));
  // Exports must be UTF-8: the bad bytes become U+FFFD there, and only there.
  const std::string md = exportMarkdown(service.database(), chat);
  EXPECT_TRUE(isValidUtf8(md));
  EXPECT_NE(md.find("caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD bad"), std::string::npos);
  EXPECT_TRUE(isValidUtf8(dumpExport(exportJson(service.database(), chat))));
  EXPECT_TRUE(service.database().checkIntegrity().ok);
}

TEST(Utf8, ValidatesAndRepairs) {
  EXPECT_TRUE(isValidUtf8("plain ascii, ünïcödé, 中文, 🙂"));
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE4\xB8"));          // cut short
  EXPECT_EQ(toValidUtf8("a\xFF"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(toValidUtf8("\xE4\xB8"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(StoreTest, FiftyMegabyteMessageIsStoredAndFound) {
  ConversationService service(dbPath());
  const auto chat = service.create("big");
  std::string big;
  big.reserve(50u << 20);
  for (std::size_t i = 0; big.size() < (50u << 20); ++i) big += fmt::format("word{} ", i % 9973);
  big += "needle";
  const auto id = service.addUserMessage(chat, big);
  EXPECT_EQ(getMessage(service.database(), id).content, big);
  const auto hits = service.search("needle");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].messageId, id);
}

TEST_F(StoreTest, RandomQueriesNeverBreakSearch) {
  ConversationService service(dbPath());
  service.addUserMessage(service.create("t"), "some text to find");
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    std::string query(rng() % 24, ' ');
    for (auto& c : query) c = static_cast<char>(rng() % 256);
    EXPECT_NO_THROW(service.search(query)) << i;
    ConversationQuery q;
    q.text = query;
    EXPECT_NO_THROW(service.list(q)) << i;
  }
}

TEST_F(StoreTest, RandomImportsFailCleanly) {
  Database db = Database::open(dbPath());
  const auto good = exportJson(db, createConversation(db, "seed"));
  std::mt19937 rng(11);
  const std::vector<nlohmann::json> junk = {
      nullptr, 1, "text", nlohmann::json::object(), nlohmann::json::array({1, 2}), {{"a", {1}}}};
  int imported = 0;
  for (int i = 0; i < 300; ++i) {
    nlohmann::json doc = good;
    doc["messages"] = nlohmann::json::array({{{"id", 1}, {"role", "user"}}});
    const auto keys = std::vector<std::string>{"title", "messages", "settings", "pinned", "format"};
    doc["messages"][0][keys[rng() % keys.size()]] = junk[rng() % junk.size()];
    doc[keys[rng() % keys.size()]] = junk[rng() % junk.size()];
    try {
      importJson(db, doc);
      ++imported;
    } catch (const StoreError& e) {
      EXPECT_EQ(e.kind(), StoreErrorKind::InvalidInput) << e.what();
    }
  }
  EXPECT_EQ(countConversations(db), 1 + imported);
  EXPECT_TRUE(db.checkIntegrity().ok);
}

TEST_F(StoreTest, RandomBytesAsADatabaseFileAreRefused) {
  std::mt19937 rng(3);
  for (int i = 0; i < 20; ++i) {
    std::string bytes(1 + rng() % 9000, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 256);
    if (i % 2) bytes.replace(0, 16, std::string("SQLite format 3\0", 16));  // a plausible header
    testing::writeBytes(dbPath(), bytes);
    try {
      Database::open(dbPath());
      ADD_FAILURE() << "opened random bytes, case " << i;
    } catch (const StoreError& e) {
      EXPECT_EQ(e.kind(), StoreErrorKind::Damaged) << e.what();
    }
    EXPECT_EQ(testing::readBytes(dbPath()), bytes);
  }
}

// The text a writer streams: reply r is "r0 r1 r2 ...", so any stored prefix can be checked.
std::string streamedWord(int reply, int i) {
  return fmt::format("{}.{} ", reply, i);
}

// Child: writes conversations of a user message and a reply streamed word by word (flushed
// every word), reporting each committed reply length through `report`.
[[noreturn]] void writeUntilKilled(const std::filesystem::path& file, int report) {
  ConversationService service(file);
  for (int reply = 0;; ++reply) {
    const auto chat = service.create(fmt::format("crash {}", reply));
    const auto q = service.addUserMessage(chat, fmt::format("question {}", reply));
    StreamingReply r = service.beginReply(chat, q, {}, std::chrono::milliseconds(0));
    for (int i = 0; i < 40; ++i) r.append(streamedWord(reply, i), "t");
    r.finish(MessageState::Done, {});
    const std::int64_t line[2] = {r.messageId(), reply};
    if (write(report, line, sizeof line) != sizeof line) _exit(1);
  }
}

TEST_F(StoreTest, WriterKilledMidStreamLosesNothingCommitted) {
  std::mt19937 rng(42);
  std::int64_t confirmed = 0;    // replies the writers reported finished
  std::int64_t interrupted = 0;  // replies a kill cut off: proof the kills hit mid-stream
  for (int round = 0; round < 12; ++round) {
    int pipeFds[2];
    ASSERT_EQ(pipe(pipeFds), 0);
    const pid_t child = fork();
    if (child == 0) {
      close(pipeFds[0]);
      try {
        writeUntilKilled(dbPath(), pipeFds[1]);
      } catch (...) {
        _exit(2);  // never return into the test runner from the child
      }
    }
    close(pipeFds[1]);
    usleep(20'000 + rng() % 120'000);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    std::int64_t line[2];
    while (read(pipeFds[0], line, sizeof line) == sizeof line) ++confirmed;
    close(pipeFds[0]);

    Database db = Database::open(dbPath());
    ASSERT_TRUE(db.checkIntegrity().ok) << "round " << round;
    std::int64_t done = 0;
    for (const auto& c : listConversations(db, {"", true, -1, 0})) {
      for (const auto& m : conversationMessages(db, c.id)) {
        ASSERT_NE(m.state, MessageState::Streaming) << "round " << round;
        if (m.role != Role::Assistant) continue;
        done += m.state == MessageState::Done;
        interrupted += m.state == MessageState::Interrupted;
        // Whatever was kept is a whole prefix of what was streamed.
        const int reply = std::stoi(c.title.substr(6));
        std::string expected;
        for (int i = 0; expected.size() < m.content.size(); ++i) expected += streamedWord(reply, i);
        EXPECT_EQ(m.content, expected) << "round " << round;
      }
    }
    EXPECT_GE(done, confirmed) << "a reply reported finished was lost";
  }
  EXPECT_GT(confirmed, 0);
  EXPECT_GT(interrupted, 0);
}

TEST_F(StoreTest, ReaderBesideAWriterNeverSeesALock) {
  { Database::open(dbPath()); }
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::string readerError;
  std::thread reader([&] {
    try {
      Database db = Database::open(dbPath());
      while (!stop) {
        for (const auto& c : listConversations(db)) activePath(db, c.id);
        searchMessages(db, "token");
        ++reads;
      }
    } catch (const std::exception& e) {
      readerError = e.what();
    }
  });
  {
    ConversationService writer(dbPath());
    for (int c = 0; c < 30; ++c) {
      const auto chat = writer.create(fmt::format("c{}", c));
      const auto q = writer.addUserMessage(chat, "q");
      StreamingReply r = writer.beginReply(chat, q, {}, std::chrono::milliseconds(0));
      for (int i = 0; i < 30; ++i) r.append("token ");
      r.finish(MessageState::Done, {});
    }
  }
  stop = true;
  reader.join();
  EXPECT_EQ(readerError, "");
  EXPECT_GT(reads.load(), 0);
}

TEST_F(StoreTest, TwoWritersShareTheFileThroughTheBusyTimeout) {
  { Database::open(dbPath()); }
  std::string errors[2];
  auto write = [this, &errors](int n) {
    try {
      ConversationService service(dbPath());
      for (int i = 0; i < 100; ++i) service.addUserMessage(service.create("w"), std::to_string(n));
    } catch (const std::exception& e) {
      errors[n] = e.what();
    }
  };
  std::thread a(write, 0);
  std::thread b(write, 1);
  a.join();
  b.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  Database db = Database::open(dbPath());
  EXPECT_EQ(countConversations(db), 200);
}

}  // namespace
}  // namespace flint::store
