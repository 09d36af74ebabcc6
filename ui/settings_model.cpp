#include "ui/settings_model.h"

#include "engine/logging/log.h"
#include "ui/engine_worker.h"

#include <exception>
#include <utility>

namespace flint::ui {
namespace {

namespace store = flint::store;

}  // namespace

SettingsModel::SettingsModel(QObject* parent) : QObject(parent) {}

void SettingsModel::setDatabasePath(const QString& path) {
  if (path == databasePath_) return;
  databasePath_ = path;
  emit databasePathChanged();
  db_.reset();
  if (path.isEmpty()) {  // not known yet (bound to the chat's, which is set on completion)
    reload();
    return;
  }
  try {
    db_.emplace(store::Database::open(path.toStdString(), store::secondaryConnection()));
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("could not open the settings in {}: {}", path.toStdString(),
                                    e.what());
    setError(tr("The settings could not be read: %1.").arg(errorClause(e)));
  }
  reload();
}

template <typename Change>
void SettingsModel::edit(Change&& change) {
  const store::Settings before = values_;
  change(values_);
  if (values_ != before) emit edited();
}

void SettingsModel::setTemperature(double value) {
  edit([&](store::Settings& s) { s.sampling.temperature = value; });
}

void SettingsModel::setTopP(double value) {
  edit([&](store::Settings& s) { s.sampling.topP = value; });
}

void SettingsModel::setTopK(int value) {
  edit([&](store::Settings& s) { s.sampling.topK = value; });
}

void SettingsModel::setMaxTokens(int value) {
  edit([&](store::Settings& s) { s.sampling.maxTokens = value; });
}

void SettingsModel::setSpeculation(bool on) {
  edit([&](store::Settings& s) { s.speculation = on; });
}

void SettingsModel::setMaxDrafts(int value) {
  edit([&](store::Settings& s) { s.maxDrafts = value; });
}

void SettingsModel::setSystemPrompt(const QString& text) {
  edit([&](store::Settings& s) { s.systemPrompt = text.toStdString(); });
}

QString SettingsModel::theme() const {
  const std::string_view word = store::toString(values_.theme);
  return QString::fromUtf8(word.data(), qsizetype(word.size()));
}

void SettingsModel::setTheme(const QString& theme) {
  const std::optional<store::Theme> parsed = store::parseTheme(theme.toStdString());
  if (!parsed) {
    setError(tr("“%1” is not a theme; choose light or dark.").arg(theme));
    return;
  }
  edit([&](store::Settings& s) { s.theme = *parsed; });
}

QString SettingsModel::invalidValue() const {
  const store::Sampling& s = values_.sampling;
  if (s.temperature < 0 || s.temperature > 2) return tr("The temperature must be between 0 and 2.");
  if (s.topP <= 0 || s.topP > 1) return tr("Top-p must be more than 0 and at most 1.");
  if (s.topK < 0) return tr("Top-k must be 0 (off) or more.");
  if (s.maxTokens < 0) return tr("The maximum reply length must be 0 (no limit) or more.");
  if (values_.maxDrafts < 1 || values_.maxDrafts > kMaxDrafts)
    return tr("The number of drafts must be between 1 and %1.").arg(kMaxDrafts);
  return {};
}

bool SettingsModel::save() {
  if (!db_) {
    setError(tr("The settings database is not open, so nothing can be saved."));
    return false;
  }
  if (const QString invalid = invalidValue(); !invalid.isEmpty()) {
    setError(invalid);
    return false;
  }
  try {
    // The page owns these fields; the thinking mode and memory budgets set elsewhere stay.
    store::SettingsOverrides global = store::globalSettings(*db_);
    store::Sampling sampling = values_.sampling;
    sampling.seed = global.sampling ? global.sampling->seed : std::nullopt;
    global.sampling = sampling;
    global.speculation = values_.speculation;
    global.maxDrafts = values_.maxDrafts;
    global.systemPrompt = values_.systemPrompt;
    global.theme = values_.theme;
    store::saveGlobalSettings(*db_, global);
  } catch (const std::exception& e) {
    flint::log::logger("ui")->error("could not save the settings: {}", e.what());
    setError(tr("The settings could not be saved: %1.").arg(errorClause(e)));
    return false;
  }
  setError({});
  setSavedTheme(values_.theme);
  emit saved();
  return true;
}

void SettingsModel::reload() {
  store::Settings stored;
  if (db_) {
    try {
      stored = store::effectiveSettings(*db_, std::nullopt);
    } catch (const std::exception& e) {
      flint::log::logger("ui")->error("could not read the settings: {}", e.what());
      setError(tr("The settings could not be read: %1.").arg(errorClause(e)));
    }
  }
  edit([&](store::Settings& s) { s = stored; });
  setSavedTheme(stored.theme);
}

void SettingsModel::restoreDefaults() {
  edit([](store::Settings& s) {
    const store::Settings defaults;
    s.sampling = defaults.sampling;
    s.speculation = defaults.speculation;
    s.maxDrafts = defaults.maxDrafts;
    s.systemPrompt = defaults.systemPrompt;
    s.theme = defaults.theme;
  });
}

void SettingsModel::setSavedTheme(store::Theme theme) {
  if (theme == savedTheme_) return;
  savedTheme_ = theme;
  emit savedThemeChanged();
}

void SettingsModel::setError(const QString& error) {
  if (error == error_) return;
  error_ = error;
  emit errorChanged();
}

}  // namespace flint::ui
