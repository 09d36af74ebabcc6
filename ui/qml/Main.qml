import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// The main window: conversations on the left; the chat, its mode and the composer on the
// right; the live statistics strip along the bottom.
ApplicationWindow {
    id: window
    objectName: "mainWindow"
    width: 1200
    height: 780
    minimumWidth: 760
    minimumHeight: 480
    visible: true
    title: qsTr("Flint")

    SystemInfo { id: systemInfo }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        Sidebar {
            id: sidebar
            objectName: "sidebar"
            Layout.fillHeight: true
            Layout.preferredWidth: 280
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
                        text: qsTr("flint-tiny")
                        font.bold: true
                        Layout.fillWidth: true
                    }
                    ModeSelector {
                        id: modeSelector
                        objectName: "modeSelector"
                    }
                }
            }

            ChatView {
                id: chatView
                objectName: "chatArea"
                Layout.fillWidth: true
                Layout.fillHeight: true
            }

            Composer {
                id: composer
                objectName: "composer"
                Layout.fillWidth: true
            }

            StatsStrip {
                id: statsStrip
                objectName: "statsStrip"
                Layout.fillWidth: true
                backend: systemInfo.backend
                version: systemInfo.version
            }
        }
    }
}
