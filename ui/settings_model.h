#pragma once
// The global settings page's view-model: sampling, speculation, the system prompt and the
// theme, read from the store's global layer over the built-in defaults. Edits stay here until
// save() writes them (the dialog's Save); reload() drops them (its Cancel). Every conversation
// that does not override a value uses the saved one from its next reply on.
#include "app/store/database.h"
#include "app/store/settings.h"

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QString>

#include <optional>

namespace flint::ui {

class SettingsModel : public QObject {
  Q_OBJECT
  QML_ELEMENT
  Q_PROPERTY(
      QString databasePath READ databasePath WRITE setDatabasePath NOTIFY databasePathChanged)
  Q_PROPERTY(double temperature READ temperature WRITE setTemperature NOTIFY edited)
  Q_PROPERTY(double topP READ topP WRITE setTopP NOTIFY edited)
  Q_PROPERTY(int topK READ topK WRITE setTopK NOTIFY edited)                 // 0: off
  Q_PROPERTY(int maxTokens READ maxTokens WRITE setMaxTokens NOTIFY edited)  // 0: no limit
  Q_PROPERTY(bool speculation READ speculation WRITE setSpeculation NOTIFY edited)
  Q_PROPERTY(int maxDrafts READ maxDrafts WRITE setMaxDrafts NOTIFY edited)
  Q_PROPERTY(QString systemPrompt READ systemPrompt WRITE setSystemPrompt NOTIFY edited)
  // "light" or "dark"; `dark` follows the saved value, so the window changes on Save.
  Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY edited)
  Q_PROPERTY(bool dark READ dark NOTIFY savedThemeChanged)
  Q_PROPERTY(QString error READ error NOTIFY errorChanged)

 public:
  static constexpr int kMaxDrafts = 16;  // more than any drafter's block; the engine caps it

  explicit SettingsModel(QObject* parent = nullptr);

  QString databasePath() const { return databasePath_; }
  void setDatabasePath(const QString& path);
  double temperature() const { return values_.sampling.temperature; }
  void setTemperature(double value);
  double topP() const { return values_.sampling.topP; }
  void setTopP(double value);
  int topK() const { return values_.sampling.topK; }
  void setTopK(int value);
  int maxTokens() const { return values_.sampling.maxTokens; }
  void setMaxTokens(int value);
  bool speculation() const { return values_.speculation; }
  void setSpeculation(bool on);
  int maxDrafts() const { return values_.maxDrafts; }
  void setMaxDrafts(int value);
  QString systemPrompt() const { return QString::fromStdString(values_.systemPrompt); }
  void setSystemPrompt(const QString& text);
  QString theme() const;
  void setTheme(const QString& theme);
  bool dark() const { return savedTheme_ == flint::store::Theme::Dark; }
  QString error() const { return error_; }

  // Writes the edits to the global layer; false (and an error sentence) when a value is out of
  // range or the store fails.
  Q_INVOKABLE bool save();
  // Drops the edits: the stored values again.
  Q_INVOKABLE void reload();
  // The built-in defaults, as edits (saved by save()).
  Q_INVOKABLE void restoreDefaults();

 signals:
  void databasePathChanged();
  void edited();
  void savedThemeChanged();
  void errorChanged();
  void saved();

 private:
  template <typename Change>
  void edit(Change&& change);
  QString invalidValue() const;
  void setSavedTheme(flint::store::Theme theme);
  void setError(const QString& error);

  QString databasePath_;
  std::optional<flint::store::Database> db_;
  flint::store::Settings values_;
  flint::store::Theme savedTheme_ = flint::store::Theme::Light;
  QString error_;
};

}  // namespace flint::ui
