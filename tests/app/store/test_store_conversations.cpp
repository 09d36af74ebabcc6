// The message tree (branches, "2/3", the shown branch), the conversation list with its
// undo window, and layered settings.
#include "app/store/conversation_service.h"
#include "app/store/conversations.h"
#include "app/store/settings.h"
#include "app/store/store_error.h"
#include "tests/app/store/store_test_support.h"

#include <sys/wait.h>
#include <unistd.h>

namespace flint::store {
namespace {

using testing::StoreTest;

std::vector<std::string> texts(const std::vector<PathEntry>& path) {
  std::vector<std::string> out;
  for (const auto& e : path) out.push_back(e.message.content);
  return out;
}

std::int64_t finishedReply(ConversationService& service, std::int64_t conversation,
                           std::int64_t parent, const std::string& text) {
  StreamingReply reply = service.beginReply(conversation, parent, {ThinkingMode::High, "m", {}});
  reply.append(text);
  reply.finish(MessageState::Done, {{"accept_rate", 0.7}});
  return reply.messageId();
}

TEST_F(StoreTest, EditAndRegenerateMakeBranchesAndSiblingsNavigate) {
  ConversationService service(dbPath());
  const auto chat = service.create("branches");
  const auto q1 = service.addUserMessage(chat, "question one");
  const auto a1 = finishedReply(service, chat, q1, "answer one");
  const auto q2 = service.addUserMessage(chat, "question two");
  finishedReply(service, chat, q2, "answer two");
  EXPECT_EQ(texts(service.shownBranch(chat)),
            (std::vector<std::string>{"question one", "answer one", "question two", "answer two"}));

  // Regenerate the first answer: a second sibling, shown, with nothing below it yet.
  StreamingReply again = service.regenerate(a1, {});
  again.append("answer one, take two");
  again.finish(MessageState::Done, {});
  auto path = service.shownBranch(chat);
  EXPECT_EQ(texts(path), (std::vector<std::string>{"question one", "answer one, take two"}));
  EXPECT_EQ(path[1].siblingIndex, 2);
  EXPECT_EQ(path[1].siblingCount, 2);

  // Back to the first answer: its own continuation comes back with it.
  EXPECT_EQ(service.showSibling(again.messageId(), -1), a1);
  EXPECT_EQ(texts(service.shownBranch(chat)),
            (std::vector<std::string>{"question one", "answer one", "question two", "answer two"}));
  EXPECT_EQ(service.showSibling(a1, -1), a1);  // already the first: stays

  // Edit the first question: a new root branch; the old one is one step away.
  const auto edited = service.editUserMessage(q1, "question one, rephrased");
  path = service.shownBranch(chat);
  EXPECT_EQ(texts(path), (std::vector<std::string>{"question one, rephrased"}));
  EXPECT_EQ(path[0].siblingIndex, 2);
  EXPECT_EQ(service.showSibling(edited, -1), q1);
  EXPECT_EQ(service.shownBranch(chat).size(), 4u);
}

TEST_F(StoreTest, DeletingTheShownBranchFallsBackToTheNewestSibling) {
  ConversationService service(dbPath());
  const auto chat = service.create("t");
  const auto q = service.addUserMessage(chat, "q");
  const auto a = finishedReply(service, chat, q, "a");
  const auto b = finishedReply(service, chat, q, "b");
  const auto c = finishedReply(service, chat, q, "c");
  selectMessage(service.database(), b);
  deleteBranch(service.database(), b);
  const auto path = service.shownBranch(chat);
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[1].message.id, c);
  EXPECT_EQ(path[1].siblingCount, 2);
  EXPECT_EQ(siblingIds(service.database(), a), (std::vector<std::int64_t>{a, c}));
}

TEST_F(StoreTest, ReplyKeepsModeModelStatsAndMarksTheConversationUpdated) {
  ConversationService service(dbPath());
  const auto chat = service.create("t");
  const auto before = getConversation(service.database(), chat).updatedAt;
  const auto q = service.addUserMessage(chat, "q");
  const Message reply = getMessage(service.database(), finishedReply(service, chat, q, "a"));
  EXPECT_EQ(reply.role, Role::Assistant);
  EXPECT_EQ(reply.mode, ThinkingMode::High);
  EXPECT_EQ(reply.model, "m");
  EXPECT_EQ(reply.state, MessageState::Done);
  EXPECT_EQ(reply.stats["accept_rate"], 0.7);
  EXPECT_GE(getConversation(service.database(), chat).updatedAt, before);
}

TEST_F(StoreTest, MessageCannotHangUnderAnotherConversation) {
  Database db = Database::open(dbPath());
  const auto one = createConversation(db, "one");
  const auto two = createConversation(db, "two");
  NewMessage m;
  m.conversationId = one;
  const auto root = addMessage(db, m);
  m.conversationId = two;
  m.parentId = root;
  EXPECT_THROW(addMessage(db, m), StoreError);
  m.parentId = 12345;
  EXPECT_THROW(addMessage(db, m), StoreError);
}

std::int64_t streamingMessage(Database& db) {
  NewMessage m;
  m.conversationId = createConversation(db, "t");
  m.role = Role::Assistant;
  m.state = MessageState::Streaming;
  return addMessage(db, m);
}

TEST_F(StoreTest, StreamingReplyWritesOnlyEveryIntervalAndAtTheEnd) {
  Database db = Database::open(dbPath());
  const auto id = streamingMessage(db);
  {
    StreamingReply slow(db, id, std::chrono::hours(1));
    slow.append("held ", "in memory");
    EXPECT_EQ(getMessage(db, id).content, "");
    slow.flush();
    EXPECT_EQ(getMessage(db, id).content, "held ");
    slow.append("then dropped");
    StreamingReply moved(std::move(slow));
  }  // ended without finish(): what it held is kept, as interrupted
  EXPECT_EQ(getMessage(db, id).content, "held then dropped");
  EXPECT_EQ(getMessage(db, id).thinking, "in memory");
  EXPECT_EQ(getMessage(db, id).state, MessageState::Interrupted);

  const auto second = streamingMessage(db);
  StreamingReply every(db, second, std::chrono::milliseconds(0));
  every.append("now");
  EXPECT_EQ(getMessage(db, second).content, "now");
  every.finish(MessageState::Error, {}, "out of memory");
  EXPECT_EQ(getMessage(db, second).state, MessageState::Error);
  EXPECT_EQ(getMessage(db, second).error, "out of memory");
  EXPECT_THROW(appendToStreamingMessage(db, second, "late", ""), StoreError);
}

TEST_F(StoreTest, AbandonedReplyIsInterruptedButALiveWritersIsNot) {
  std::int64_t mine = 0;
  std::int64_t orphan = 0;
  {
    Database db = Database::open(dbPath());
    const auto chat = createConversation(db, "t");
    NewMessage m;
    m.conversationId = chat;
    m.role = Role::Assistant;
    m.state = MessageState::Streaming;
    m.content = "partial";
    mine = addMessage(db, m);
    orphan = addMessage(db, m);
    // A writer that has exited: a child process reaped here.
    const pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    db.prepare("UPDATE messages SET writer_pid = ?2 WHERE id = ?1")
        .bind(1, orphan)
        .bind(2, std::int64_t{child})
        .run();
  }
  Database db = Database::open(dbPath());
  EXPECT_EQ(db.openReport().interruptedMessages, 1);
  EXPECT_EQ(getMessage(db, orphan).state, MessageState::Interrupted);
  EXPECT_EQ(getMessage(db, orphan).content, "partial");
  EXPECT_EQ(getMessage(db, mine).state, MessageState::Streaming);  // this process still runs
}

TEST_F(StoreTest, ListPutsPinnedFirstHidesArchivedAndDeleted) {
  ConversationService service(dbPath());
  const auto old = service.create("old");
  const auto pinned = service.create("pinned");
  const auto archived = service.create("archived");
  const auto fresh = service.create("fresh");
  auto& db = service.database();
  setConversationPinned(db, pinned, true);
  setConversationArchived(db, archived, true);
  markConversationUpdated(db, old, 1);
  std::vector<std::int64_t> ids;
  for (const auto& c : service.list()) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{pinned, fresh, old}));
  ConversationQuery all;
  all.includeArchived = true;
  EXPECT_EQ(service.list(all).size(), 4u);

  service.remove(fresh);
  EXPECT_EQ(service.list().size(), 2u);
  service.undoRemove(fresh);
  EXPECT_EQ(service.list().size(), 3u);
  service.remove(fresh);
  EXPECT_EQ(purgeDeletedConversations(db, nowMs() - 60'000), 0);  // still inside the window
  EXPECT_EQ(purgeDeletedConversations(db, nowMs() + 1), 1);
  EXPECT_THROW(getConversation(db, fresh), StoreError);
  EXPECT_THROW(service.undoRemove(fresh), StoreError);
}

TEST_F(StoreTest, ListSearchesTitlesAndMessages) {
  ConversationService service(dbPath());
  const auto a = service.create("100% cotton_shirts");
  const auto b = service.create("other");
  service.addUserMessage(b, "tell me about cotton");
  service.create("unrelated");
  ConversationQuery q;
  q.text = "cotton";
  EXPECT_EQ(service.list(q).size(), 2u);
  q.text = "100%";
  ASSERT_EQ(service.list(q).size(), 1u);
  EXPECT_EQ(service.list(q)[0].id, a);
  q.text = "_";  // LIKE's wildcard, taken literally
  EXPECT_EQ(service.list(q).size(), 1u);
}

TEST_F(StoreTest, SettingsLayerOverDefaults) {
  Database db = Database::open(dbPath());
  const auto chat = createConversation(db, "t");
  EXPECT_EQ(effectiveSettings(db, chat), Settings{});

  SettingsOverrides global;
  global.thinkingMode = ThinkingMode::High;
  global.systemPrompt = "Be brief.";
  global.memory = MemoryBudgets{8ull << 30, std::nullopt};
  saveGlobalSettings(db, global);
  SettingsOverrides local;
  local.sampling = Sampling{0.6, 0.95, 40, 1234, 2048};
  local.speculation = false;
  local.thinkingMode = ThinkingMode::Max;
  saveConversationSettings(db, chat, local);

  EXPECT_EQ(globalSettings(db), global);
  EXPECT_EQ(conversationSettings(db, chat), local);
  const Settings s = effectiveSettings(db, chat);
  EXPECT_EQ(s.thinkingMode, ThinkingMode::Max);
  EXPECT_EQ(s.systemPrompt, "Be brief.");
  EXPECT_EQ(s.sampling.seed, 1234u);
  EXPECT_FALSE(s.speculation);
  EXPECT_EQ(s.memory.gpuBytes, 8ull << 30);
  EXPECT_EQ(effectiveSettings(db, std::nullopt).thinkingMode, ThinkingMode::High);

  saveConversationSettings(db, chat, {});  // clearing the layer falls back to global
  EXPECT_EQ(effectiveSettings(db, chat).thinkingMode, ThinkingMode::High);
}

TEST_F(StoreTest, DraftsAndThemeRoundTripAndLayer) {
  Database db = Database::open(dbPath());
  const auto chat = createConversation(db, "t");
  EXPECT_EQ(effectiveSettings(db, chat).maxDrafts, 5);
  EXPECT_EQ(effectiveSettings(db, chat).theme, Theme::Light);

  SettingsOverrides global;
  global.maxDrafts = 3;
  global.theme = Theme::Dark;
  saveGlobalSettings(db, global);
  EXPECT_EQ(globalSettings(db), global);
  EXPECT_EQ(settingsToJson(global)["theme"], "dark");
  EXPECT_EQ(settingsFromJson(settingsToJson(global)), global);
  SettingsOverrides local;
  local.maxDrafts = 1;
  saveConversationSettings(db, chat, local);
  EXPECT_EQ(effectiveSettings(db, chat).maxDrafts, 1);
  EXPECT_EQ(effectiveSettings(db, chat).theme, Theme::Dark);
  EXPECT_EQ(effectiveSettings(db, std::nullopt).maxDrafts, 3);
  EXPECT_THROW(settingsFromJson(nlohmann::json{{"theme", "sepia"}}), StoreError);
}

// Where the model computes: the CPU until the user opts into the GPU.
TEST_F(StoreTest, ComputeChoiceRoundTrips) {
  Database db = Database::open(dbPath());
  EXPECT_EQ(effectiveSettings(db, std::nullopt).compute, ComputeChoice::Cpu);
  SettingsOverrides global;
  global.compute = ComputeChoice::Gpu;
  saveGlobalSettings(db, global);
  EXPECT_EQ(globalSettings(db), global);
  EXPECT_EQ(settingsToJson(global)["compute"], "gpu");
  EXPECT_EQ(effectiveSettings(db, std::nullopt).compute, ComputeChoice::Gpu);
  EXPECT_THROW(settingsFromJson(nlohmann::json{{"compute", "tpu"}}), StoreError);
}

TEST_F(StoreTest, UnreadableStoredSettingIsIgnoredNotFatal) {
  Database db = Database::open(dbPath());
  db.exec("INSERT INTO settings (key, value) VALUES ('thinking_mode', '\"ultra\"')");
  EXPECT_EQ(effectiveSettings(db, std::nullopt), Settings{});
}

}  // namespace
}  // namespace flint::store
