#include "app/store/migrations.h"

#include "app/store/database.h"
#include "app/store/store_error.h"

#include <array>
#include <string>

namespace flint::store {
namespace {

namespace fs = std::filesystem;

// v1: conversations, the message tree, settings.
constexpr const char* kSchemaV1 = R"sql(
PRAGMA application_id = 1181511284;
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
  archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
  active_root_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE INDEX conversations_by_recency ON conversations(pinned DESC, updated_at DESC);
CREATE INDEX conversations_by_active_root ON conversations(active_root_id);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
  active_child_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content TEXT NOT NULL DEFAULT '',
  thinking TEXT NOT NULL DEFAULT '',
  mode TEXT CHECK (mode IN ('non-think', 'high', 'max')),
  model TEXT NOT NULL DEFAULT '',
  sampling TEXT NOT NULL DEFAULT '{}',
  stats TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'done'
    CHECK (state IN ('streaming', 'done', 'interrupted', 'error')),
  error TEXT NOT NULL DEFAULT '',
  writer_pid INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, parent_id);
CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX messages_by_active_child ON messages(active_child_id);
CREATE INDEX messages_streaming ON messages(state) WHERE state = 'streaming';
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE conversation_settings (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (conversation_id, key)
) WITHOUT ROWID;
)sql";

// v2: full-text search over answers and thinking. External content: the text lives once, in
// messages; triggers keep the index in step, and existing rows are indexed here.
constexpr const char* kSchemaV2 = R"sql(
CREATE VIRTUAL TABLE messages_fts USING fts5(
  content, thinking, content = 'messages', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, content, thinking) VALUES (new.id, new.content, new.thinking);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content, thinking)
    VALUES ('delete', old.id, old.content, old.thinking);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, thinking ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content, thinking)
    VALUES ('delete', old.id, old.content, old.thinking);
  INSERT INTO messages_fts(rowid, content, thinking) VALUES (new.id, new.content, new.thinking);
END;
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
)sql";

// v3: documents attached to a conversation (or to none: the library), split into chunks
// that BM25 ranks when a document does not fit the context.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE documents (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  source_path TEXT NOT NULL DEFAULT '',
  mime_type TEXT NOT NULL DEFAULT '',
  sha256 TEXT NOT NULL DEFAULT '',
  byte_size INTEGER NOT NULL DEFAULT 0,
  token_count INTEGER NOT NULL DEFAULT 0,
  content TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX documents_by_conversation ON documents(conversation_id);
CREATE TABLE chunks (
  id INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL DEFAULT 0,
  token_count INTEGER NOT NULL DEFAULT 0,
  text TEXT NOT NULL,
  UNIQUE (document_id, ordinal)
);
CREATE VIRTUAL TABLE chunks_fts USING fts5(
  text, content = 'chunks', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
)sql";

constexpr std::array<const char*, kSchemaVersion> kSteps = {kSchemaV1, kSchemaV2, kSchemaV3};

// A consistent copy through SQLite's backup API (it reads committed pages, WAL included).
fs::path backUp(Database& db, int version) {
  fs::path target = db.file();
  target += ".v" + std::to_string(version) + ".bak";
  std::error_code ec;
  fs::remove(target, ec);
  sqlite3* copy = nullptr;
  int rc =
      sqlite3_open_v2(target.c_str(), &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_backup* backup = sqlite3_backup_init(copy, "main", db.handle(), "main");
    if (!backup) {
      rc = sqlite3_errcode(copy);
    } else {
      sqlite3_backup_step(backup, -1);
      rc = sqlite3_backup_finish(backup);
    }
  }
  if (rc != SQLITE_OK) {
    const std::string why = copy ? sqlite3_errmsg(copy) : sqlite3_errstr(rc);
    sqlite3_close_v2(copy);
    throw StoreError(StoreErrorKind::Io, "cannot back up '" + db.file().string() + "' to '" +
                                             target.string() + "' before migrating: " + why +
                                             "; nothing was changed");
  }
  sqlite3_close_v2(copy);
  return target;
}

}  // namespace

MigrationResult migrate(Database& db) {
  MigrationResult result;
  result.fromVersion = db.schemaVersion();
  result.toVersion = result.fromVersion;
  if (result.fromVersion > 0 && result.fromVersion < kSchemaVersion)
    result.backup = backUp(db, result.fromVersion);
  for (int target = result.fromVersion + 1; target <= kSchemaVersion; ++target) {
    Transaction transaction(db);
    // Another process may have run this step while we waited for the write lock.
    if (db.schemaVersion() < target) {
      db.exec(kSteps[static_cast<std::size_t>(target - 1)]);
      db.exec("PRAGMA user_version = " + std::to_string(target));
    }
    transaction.commit();
    result.toVersion = target;
  }
  return result;
}

}  // namespace flint::store
