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

    // The chat: the user's database and the bundled model unless told otherwise.
    ChatController {
        id: chat
        objectName: "chatController"
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
                    ModeSelector {
                        id: modeSelector
                        objectName: "modeSelector"
                        Component.onCompleted: selectMode(chat.mode)
                        onModeChosen: (mode) => chat.setMode(mode)
                        Connections {
                            target: chat
                            function onModeChanged() { modeSelector.selectMode(chat.mode) }
                        }
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
            }

            Composer {
                id: composer
                objectName: "composer"
                Layout.fillWidth: true
                busy: chat.busy
                modelName: chat.modelName
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
