#pragma once
// A fresh conversation database for a UI test, with global settings that make replies short
// and reproducible (greedy, `maxTokens` tokens).
#include "app/store/conversation_service.h"
#include "app/store/settings.h"

#include <QFile>
#include <QString>

namespace flint::ui::testing {

inline void createGreedyDatabase(const QString& path, int maxTokens) {
  QFile::remove(path);
  store::ConversationService setup(path.toStdString());
  store::SettingsOverrides global;
  store::Sampling sampling;
  sampling.temperature = 0;
  sampling.maxTokens = maxTokens;
  global.sampling = sampling;
  store::saveGlobalSettings(setup.database(), global);
}

}  // namespace flint::ui::testing
