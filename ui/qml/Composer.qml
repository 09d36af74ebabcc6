import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// The input box: Enter or Ctrl+Enter sends, Shift+Enter starts a new line; while a reply
// streams, Stop (or Esc) stops it. Below it, the context meter: the tokens the next prompt
// will take as the user types, against the model's maximum.
Pane {
    id: root
    padding: 12
    property alias text: input.text
    property bool busy: false
    property string modelName: "flint-tiny"
    // Counts the conversation and this box's text; the bar shows once its model is read.
    property ContextMeter contextMeter: null
    signal sendRequested(string text)
    signal stopRequested()

    function send() {
        const message = input.text.trim()
        if (message.length === 0 || root.busy)
            return
        root.sendRequested(message)
        input.clear()
    }

    Shortcut {
        sequences: ["Ctrl+Return", "Ctrl+Enter"]
        onActivated: root.send()
    }
    Shortcut {
        sequence: "Esc"
        enabled: root.busy
        onActivated: root.stopRequested()
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        RowLayout {
            Layout.fillWidth: true
            spacing: 8

            ScrollView {
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min(Math.max(input.implicitHeight, 40), 160)
                TextArea {
                    id: input
                    objectName: "inputBox"
                    placeholderText: qsTr("Message %1 (Enter to send, Shift+Enter for a new line)").arg(root.modelName)
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
                visible: !root.busy
                text: qsTr("Send")
                enabled: input.text.trim().length > 0
                onClicked: root.send()
            }

            Button {
                objectName: "stopButton"
                visible: root.busy
                text: qsTr("Stop")
                onClicked: root.stopRequested()
            }
        }

        ContextBar {
            objectName: "contextBar"
            Layout.fillWidth: true
            visible: root.contextMeter !== null && root.contextMeter.ready
            // The attached documents are part of the prompt before the typed text.
            used: root.contextMeter ? root.contextMeter.used + root.contextMeter.documentTokens : 0
            typed: root.contextMeter ? root.contextMeter.typed : 0
            max: root.contextMeter ? root.contextMeter.max : 0
            nearLimit: root.contextMeter ? root.contextMeter.nearLimit : false
            overLimit: root.contextMeter ? root.contextMeter.overLimit : false
        }

        Label {
            objectName: "documentBudgetNote"
            Layout.fillWidth: true
            visible: text !== ""
            text: root.contextMeter ? root.contextMeter.documentNote : ""
            color: root.contextMeter && !root.contextMeter.fitsWhole ? "darkorange" : palette.placeholderText
            font.pixelSize: 11
            elide: Text.ElideRight
        }
    }
}
