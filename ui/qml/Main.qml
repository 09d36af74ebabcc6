import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// The main window: conversations on the left; the chat, its mode and the composer in the
// middle; the live statistics strip along the bottom and, when opened, the statistics panel on
// the right.
ApplicationWindow {
    id: window
    objectName: "mainWindow"
    width: 1280
    height: 780
    minimumWidth: 760
    minimumHeight: 480
    visible: true
    title: qsTr("Flint")

    SystemInfo { id: systemInfo }

    // The global settings; the window's palette follows the saved theme (Fusion colours).
    SettingsModel {
        id: settings
        objectName: "settingsModel"
        databasePath: chat.databasePath
    }
    palette.window: settings.dark ? "#2b2b2b" : "#efefef"
    palette.windowText: settings.dark ? "#e6e6e6" : "#1e1e1e"
    palette.base: settings.dark ? "#1f1f1f" : "#ffffff"
    palette.alternateBase: settings.dark ? "#292929" : "#f5f5f5"
    palette.text: settings.dark ? "#e6e6e6" : "#1e1e1e"
    palette.button: settings.dark ? "#353535" : "#efefef"
    palette.buttonText: settings.dark ? "#e6e6e6" : "#1e1e1e"
    palette.brightText: settings.dark ? "#ffffff" : "#ffffff"
    palette.highlight: settings.dark ? "#2f65ca" : "#308cc6"
    palette.highlightedText: "#ffffff"
    palette.placeholderText: settings.dark ? "#8a8a8a" : "#7f7f7f"
    palette.toolTipBase: settings.dark ? "#353535" : "#ffffdc"
    palette.toolTipText: settings.dark ? "#e6e6e6" : "#1e1e1e"
    palette.light: settings.dark ? "#505050" : "#ffffff"
    palette.midlight: settings.dark ? "#404040" : "#cacaca"
    palette.mid: settings.dark ? "#2a2a2a" : "#b8b8b8"
    palette.dark: settings.dark ? "#1a1a1a" : "#9f9f9f"
    palette.shadow: "#000000"
    palette.link: settings.dark ? "#6ba4ff" : "#0000ff"

    SettingsDialog {
        id: settingsDialog
        settingsModel: settings
    }

    ModelPanel {
        id: modelPanel
        controller: chat
    }

    // First start: offer the workstation setup until a plan is saved or the user skips it.
    SetupModel { id: setupModel }
    SetupDialog {
        id: setupDialog
        setup: setupModel
        onModelChosen: folder => chat.loadModel(folder)
    }
    Component.onCompleted: if (setupModel.needed) setupDialog.open()

    // The chat: the user's database and the bundled model unless told otherwise.
    ChatController {
        id: chat
        objectName: "chatController"
    }

    // Counts the next prompt's tokens (conversation plus the composer's text) off the GUI thread.
    ContextMeter {
        id: contextMeter
        objectName: "contextMeter"
        modelDir: chat.modelDir
        messages: chat.messages
        mode: chat.mode
        text: composer.text
        documentTokens: chat.documents.documentTokens
    }

    // The conversation list reads the same database through its own connection.
    ConversationListModel {
        id: conversations
        databasePath: chat.databasePath
        currentConversationId: chat.conversationId
        onSelected: (id) => chat.open(id)
        onRemoved: (id) => { if (id === chat.conversationId) chat.newConversation() }
    }

    Connections {
        target: chat
        function onConversationsChanged() { conversations.refresh() }
    }

    Shortcut { sequence: "Ctrl+N"; onActivated: chat.newConversation() }
    Shortcut { sequence: StandardKey.Find; onActivated: sidebar.focusSearch() }
    Shortcut { sequence: "Ctrl+,"; onActivated: settingsDialog.open() }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        Sidebar {
            id: sidebar
            objectName: "sidebar"
            Layout.fillHeight: true
            Layout.preferredWidth: 280
            conversations: conversations
            onNewConversationRequested: chat.newConversation()
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            ToolBar {
                objectName: "chatHeader"
                Layout.fillWidth: true
                RowLayout {
                    anchors.fill: parent
                    anchors.leftMargin: 16
                    anchors.rightMargin: 12
                    Label {
                        objectName: "modelName"
                        text: chat.modelStatus === "loading" ? qsTr("%1 (loading…)").arg(chat.modelName)
                                                             : chat.modelName
                        font.bold: true
                        Layout.fillWidth: true
                    }
                    ToolButton {
                        objectName: "modelButton"
                        text: qsTr("Model…")
                        onClicked: modelPanel.open()
                    }
                    ModeSelector {
                        id: modeSelector
                        objectName: "modeSelector"
                        contextMax: contextMeter.max
                        contextShortForMax: contextMeter.shortForThinkMax
                        recommendedMaxContext: contextMeter.thinkMaxRecommendedContext
                        Component.onCompleted: selectMode(chat.mode)
                        onModeChosen: (mode) => chat.setMode(mode)
                        Connections {
                            target: chat
                            function onModeChanged() { modeSelector.selectMode(chat.mode) }
                        }
                    }
                    ToolButton {
                        objectName: "settingsButton"
                        text: "\u2699"
                        font.pixelSize: 18
                        ToolTip.visible: hovered
                        ToolTip.text: qsTr("Settings (Ctrl+,)")
                        onClicked: settingsDialog.open()
                    }
                }
            }

            ChatView {
                id: chatView
                objectName: "chatArea"
                Layout.fillWidth: true
                Layout.fillHeight: true
                messages: chat.messages
                busy: chat.busy
                modelName: chat.modelName
                error: chat.error
                onCopyRequested: (text) => chat.copyToClipboard(text)
                onRegenerateRequested: (messageId) => chat.regenerate(messageId)
                onEditRequested: (messageId, text) => chat.editAndResend(messageId, text)
                onSiblingRequested: (messageId, step) => chat.showSibling(messageId, step)
                documentNote: chat.documentNote
                reading: chat.reading
                onFilesDropped: (urls) => chat.documents.addUrls(urls)
            }

            DocumentBar {
                objectName: "documentBar"
                Layout.fillWidth: true
                Layout.topMargin: 6
                controller: chat
            }

            Composer {
                id: composer
                objectName: "composer"
                Layout.fillWidth: true
                busy: chat.busy
                modelName: chat.modelName
                contextMeter: contextMeter
                onSendRequested: (text) => chat.send(text)
                onStopRequested: chat.stop()
            }

            StatsStrip {
                id: statsStrip
                objectName: "statsStrip"
                Layout.fillWidth: true
                backend: systemInfo.backend
                version: systemInfo.version
                stats: chat.stats
            }
        }

        StatsPanel {
            objectName: "statsPanel"
            visible: statsStrip.panelOpen
            stats: chat.stats
            Layout.fillHeight: true
            Layout.preferredWidth: 300
        }
    }
}
