import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// An answer's reasoning: "Thinking…" and open while it streams, then "Thought for N s" and
// folded; the header opens and folds it.
ColumnLayout {
    id: root
    property string text: ""
    property real seconds: 0
    property bool active: false  // the reply is still thinking
    property bool expanded: active
    spacing: 2

    ToolButton {
        objectName: "thinkingToggle"
        Layout.fillWidth: true
        flat: true
        contentItem: Label {
            text: (root.expanded ? "▾ " : "▸ ")
                  + (root.active ? qsTr("Thinking…")
                                 : root.seconds > 0 ? qsTr("Thought for %1 s").arg(Math.max(1, Math.round(root.seconds)))
                                                    : qsTr("Thought"))
            color: palette.placeholderText
            horizontalAlignment: Text.AlignLeft
        }
        onClicked: root.expanded = !root.expanded
    }

    Label {
        objectName: "thinkingText"
        Layout.fillWidth: true
        Layout.leftMargin: 12
        visible: root.expanded
        text: root.text
        wrapMode: Text.Wrap
        color: palette.placeholderText
        font.italic: true

        Rectangle {
            x: -8
            width: 2
            height: parent.height
            color: palette.mid
        }
    }
}
