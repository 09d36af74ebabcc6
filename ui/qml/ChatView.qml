import QtQuick
import QtQuick.Controls

// The messages of the open conversation.
Pane {
    id: root
    padding: 0
    property alias messages: list.model

    ListView {
        id: list
        objectName: "messageList"
        anchors.fill: parent
        anchors.margins: 16
        clip: true
        spacing: 12
        model: []
        delegate: Label {
            width: ListView.view.width
            wrapMode: Text.Wrap
            text: modelData
        }
    }

    Column {
        anchors.centerIn: parent
        visible: list.count === 0
        spacing: 6
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("Ask flint-tiny anything")
            font.pixelSize: 22
        }
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("It runs on this machine; nothing leaves it.")
            color: palette.placeholderText
        }
    }
}
