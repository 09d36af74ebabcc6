import QtQuick
import QtQuick.Controls

// The messages of the open conversation (a MessageModel), following the end while a reply
// streams unless the user scrolled away. It only shows and asks: the actions go out as signals.
Pane {
    id: root
    padding: 0
    property alias messages: list.model
    property bool busy: false
    property string modelName: "flint-tiny"
    property string error: ""
    // Above the answer: the passages it was given when the documents did not fit whole.
    property string documentNote: ""
    // While a long prompt is read before the reply: how far, and about how long is left.
    property string reading: ""

    signal copyRequested(string text)
    signal regenerateRequested(var messageId)
    signal editRequested(var messageId, string text)
    signal siblingRequested(var messageId, int step)
    // Files dropped on the chat, to attach.
    signal filesDropped(var urls)

    DropArea {
        anchors.fill: parent
        keys: ["text/uri-list"]
        onDropped: (drop) => {
            root.filesDropped(drop.urls)
            drop.accept(Qt.CopyAction)
        }
    }

    Label {
        id: documentNoteLabel
        objectName: "documentNote"
        visible: root.documentNote !== ""
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 8
        anchors.leftMargin: 16
        text: root.documentNote
        wrapMode: Text.Wrap
        color: palette.placeholderText
        font.pixelSize: 12
    }

    Label {
        objectName: "readingNote"
        visible: root.reading !== ""
        z: 1
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 8
        padding: 6
        text: root.reading
        font.pixelSize: 12
        background: Rectangle { color: palette.base; border.color: palette.mid; radius: 4 }
    }

    ListView {
        id: list
        objectName: "messageList"
        anchors.fill: parent
        anchors.margins: 16
        anchors.topMargin: documentNoteLabel.visible ? documentNoteLabel.height + 16 : 16
        anchors.bottomMargin: errorBanner.visible ? errorBanner.height + 24 : 16
        clip: true
        spacing: 12
        property bool following: true

        delegate: MessageDelegate {
            width: ListView.view.width
            busy: root.busy
            onCopyRequested: (text) => root.copyRequested(text)
            onRegenerateRequested: (messageId) => root.regenerateRequested(messageId)
            onEditRequested: (messageId, text) => root.editRequested(messageId, text)
            onSiblingRequested: (messageId, step) => root.siblingRequested(messageId, step)
        }

        onMovementEnded: following = atYEnd
        onCountChanged: {
            following = true
            positionViewAtEnd()
        }
        onContentHeightChanged: if (following) positionViewAtEnd()

        ScrollBar.vertical: ScrollBar {}
    }

    Column {
        anchors.centerIn: parent
        visible: list.count === 0
        spacing: 6
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("Ask %1 anything").arg(root.modelName)
            font.pixelSize: 22
        }
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("It runs on this machine; nothing leaves it.")
            color: palette.placeholderText
        }
    }

    Rectangle {
        id: errorBanner
        objectName: "errorBanner"
        visible: root.error !== ""
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: 12
        height: errorLabel.implicitHeight + 16
        radius: 6
        color: "#fde8e8"
        border.color: "firebrick"
        Label {
            id: errorLabel
            anchors.fill: parent
            anchors.margins: 8
            text: root.error
            wrapMode: Text.Wrap
            color: "firebrick"
        }
    }
}
