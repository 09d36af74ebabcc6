import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Conversations, newest first, with search on top.
Pane {
    id: root
    padding: 12
    property alias conversations: list.model
    signal newConversationRequested()

    background: Rectangle { color: palette.alternateBase }

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
            objectName: "searchField"
            placeholderText: qsTr("Search conversations")
            Layout.fillWidth: true
        }

        ListView {
            id: list
            objectName: "conversationList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: []
            delegate: ItemDelegate {
                width: ListView.view.width
                text: modelData
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0
                text: qsTr("No conversations yet")
                color: palette.placeholderText
            }
        }
    }
}
