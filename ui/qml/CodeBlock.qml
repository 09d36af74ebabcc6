import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A fenced code block of a message: monospace on a tinted box, its language and a Copy button
// above it.
Rectangle {
    id: root
    property string code: ""
    property string language: ""
    signal copyRequested(string code)

    implicitHeight: column.implicitHeight + 12
    radius: 6
    color: palette.alternateBase
    border.color: palette.mid

    ColumnLayout {
        id: column
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 6
        spacing: 2

        RowLayout {
            Layout.fillWidth: true
            Label {
                objectName: "codeLanguage"
                Layout.fillWidth: true
                leftPadding: 4
                text: root.language
                color: palette.placeholderText
            }
            ToolButton {
                objectName: "codeCopyButton"
                text: qsTr("Copy")
                onClicked: root.copyRequested(root.code)
            }
        }

        TextEdit {
            objectName: "codeText"
            Layout.fillWidth: true
            leftPadding: 4
            readOnly: true
            selectByMouse: true
            textFormat: TextEdit.PlainText
            wrapMode: TextEdit.Wrap
            font.family: "monospace"
            text: root.code
            color: palette.text
            selectionColor: palette.highlight
            selectedTextColor: palette.highlightedText
        }
    }
}
