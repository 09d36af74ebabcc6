import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// Conversations grouped by date (pinned first), with search on top: while the box holds
// words the list shows the matching messages, the matched words in bold. Each row renames,
// pins or deletes its conversation; a delete can be undone from the bar at the bottom.
Pane {
    id: root
    padding: 12
    property ConversationListModel conversations: null
    signal newConversationRequested()

    // Ctrl+F: put the cursor in the search box.
    function focusSearch() { searchField.forceActiveFocus(); searchField.selectAll() }

    // The conversation the undo bar would bring back.
    property var removedId: 0
    property string removedTitle: ""

    background: Rectangle { color: palette.alternateBase }

    Connections {
        target: root.conversations
        function onRemoved(conversationId, title) {
            root.removedId = conversationId
            root.removedTitle = title
            undoTimer.restart()
        }
    }

    Timer {
        id: undoTimer
        interval: root.conversations ? root.conversations.undoSeconds * 1000 : 0
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        Button {
            objectName: "newChatButton"
            text: qsTr("New chat")
            Layout.fillWidth: true
            onClicked: root.newConversationRequested()
        }

        TextField {
            id: searchField
            objectName: "searchField"
            placeholderText: qsTr("Search conversations")
            Layout.fillWidth: true
            onTextChanged: if (root.conversations) root.conversations.setSearch(text)
        }

        ListView {
            id: list
            objectName: "conversationList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.conversations
            section.property: root.conversations && root.conversations.searching ? "" : "section"
            section.delegate: Label {
                required property string section
                width: ListView.view.width
                topPadding: 8
                bottomPadding: 2
                text: section
                font.bold: true
                color: palette.placeholderText
            }
            delegate: ConversationDelegate {
                width: ListView.view.width
                conversations: root.conversations
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0
                text: root.conversations && root.conversations.searching
                      ? qsTr("No messages match") : qsTr("No conversations yet")
                color: palette.placeholderText
            }
        }

        Label {
            objectName: "sidebarError"
            visible: text !== ""
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: root.conversations ? root.conversations.errorMessage : ""
            color: "firebrick"
        }

        Pane {
            objectName: "undoBar"
            visible: undoTimer.running
            Layout.fillWidth: true
            padding: 6
            background: Rectangle { color: palette.dark; radius: 4 }
            RowLayout {
                anchors.fill: parent
                Label {
                    Layout.fillWidth: true
                    elide: Text.ElideRight
                    text: qsTr("Deleted “%1”").arg(root.removedTitle)
                    color: palette.brightText
                }
                Button {
                    objectName: "undoButton"
                    text: qsTr("Undo")
                    flat: true
                    onClicked: {
                        undoTimer.stop()
                        root.conversations.undoRemove(root.removedId)
                    }
                }
            }
        }
    }
}
