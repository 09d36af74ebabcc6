import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The input box: Enter sends, Shift+Enter starts a new line.
Pane {
    id: root
    padding: 12
    property alias text: input.text
    property bool busy: false
    signal sendRequested(string text)

    function send() {
        const message = input.text.trim()
        if (message.length === 0 || root.busy)
            return
        root.sendRequested(message)
        input.clear()
    }

    RowLayout {
        anchors.fill: parent
        spacing: 8

        ScrollView {
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(Math.max(input.implicitHeight, 40), 160)
            TextArea {
                id: input
                objectName: "inputBox"
                placeholderText: qsTr("Message flint-tiny (Enter to send, Shift+Enter for a new line)")
                wrapMode: TextArea.Wrap
                background: Rectangle {
                    radius: 6
                    color: palette.base
                    border.color: input.activeFocus ? palette.highlight : palette.mid
                }
                Keys.onReturnPressed: (event) => {
                    if (event.modifiers & Qt.ShiftModifier) {
                        event.accepted = false
                    } else {
                        root.send()
                        event.accepted = true
                    }
                }
                Keys.onEnterPressed: (event) => Keys.returnPressed(event)
            }
        }

        Button {
            objectName: "sendButton"
            text: qsTr("Send")
            enabled: input.text.trim().length > 0 && !root.busy
            onClicked: root.send()
        }
    }
}
