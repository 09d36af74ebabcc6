import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// One row of the sidebar: a conversation (title, highlighted when it is the open one) or a
// search hit (its conversation's title over the matching snippet). The "⋯" menu renames,
// pins or deletes; renaming edits the title in place (Enter keeps it, Escape drops it).
ItemDelegate {
    id: row
    required property var conversationId
    required property string title
    required property bool pinned
    required property string snippet
    property ConversationListModel conversations: null
    property bool editing: false

    highlighted: row.conversations !== null
                 && row.conversationId === row.conversations.currentConversationId
    onClicked: row.conversations.select(row.conversationId)
    onDoubleClicked: row.startRename()

    function startRename() {
        titleEditor.text = row.title
        row.editing = true
        titleEditor.forceActiveFocus()
        titleEditor.selectAll()
    }

    contentItem: RowLayout {
        spacing: 4
        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2
            Label {
                visible: !row.editing
                Layout.fillWidth: true
                elide: Text.ElideRight
                text: row.title !== "" ? row.title : qsTr("New chat")
                font.bold: row.snippet !== ""
            }
            TextField {
                id: titleEditor
                objectName: "titleEditor"
                visible: row.editing
                Layout.fillWidth: true
                onAccepted: {
                    row.editing = false
                    row.conversations.rename(row.conversationId, text)
                }
                Keys.onEscapePressed: row.editing = false
                onActiveFocusChanged: if (!activeFocus) row.editing = false
            }
            Label {
                objectName: "snippet"
                visible: row.snippet !== ""
                Layout.fillWidth: true
                maximumLineCount: 2
                wrapMode: Text.Wrap
                elide: Text.ElideRight
                textFormat: Text.StyledText
                text: row.snippet
                font.pixelSize: 12
            }
        }
        ToolButton {
            objectName: "rowMenuButton"
            text: "⋯"
            onClicked: rowMenu.popup()
        }
    }

    Menu {
        id: rowMenu
        MenuItem { text: qsTr("Rename"); onTriggered: row.startRename() }
        MenuItem {
            text: row.pinned ? qsTr("Unpin") : qsTr("Pin")
            onTriggered: row.conversations.setPinned(row.conversationId, !row.pinned)
        }
        MenuItem {
            text: qsTr("Delete")
            onTriggered: row.conversations.remove(row.conversationId)
        }
    }
}
