import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// One message of the shown branch: who wrote it (and the mode an answer used), its
// reasoning, its Markdown text (each code block in its own box with a Copy button), and its
// actions: copy; regenerate an answer; edit a
// question; "‹ 2/3 ›" between the branches at this place.
Item {
    id: root
    required property var model  // for the roles whose names Item already uses (state)
    required property var messageId
    required property string role
    required property string content
    required property string thinking
    required property real thinkingSeconds
    required property bool streaming
    required property string mode
    required property int siblingIndex
    required property int siblingCount
    property bool busy: false
    property bool editing: false
    readonly property bool isUser: role === "user"
    readonly property bool thinkingNow: streaming && mode !== "non-think" && content === ""
    readonly property var modeLabels: ({ "non-think": qsTr("Non-think"), "high": qsTr("Think High"),
                                         "max": qsTr("Think Max") })

    signal copyRequested(string text)
    signal regenerateRequested(var messageId)
    signal editRequested(var messageId, string text)
    signal siblingRequested(var messageId, int step)

    implicitHeight: column.implicitHeight + 16

    Rectangle {
        anchors.fill: parent
        radius: 8
        color: root.isUser ? palette.alternateBase : "transparent"
    }

    ColumnLayout {
        id: column
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 8
        spacing: 6

        RowLayout {
            spacing: 8
            Label {
                text: root.isUser ? qsTr("You") : qsTr("Assistant")
                font.bold: true
            }
            Label {
                objectName: "modeBadge"
                visible: !root.isUser && root.mode !== ""
                text: root.modeLabels[root.mode] || root.mode
                color: palette.placeholderText
            }
            Label {
                objectName: "stoppedBadge"
                visible: root.model.state === "interrupted"
                text: qsTr("stopped")
                color: palette.placeholderText
            }
        }

        ThinkingBlock {
            objectName: "thinkingBlock"
            Layout.fillWidth: true
            visible: !root.isUser && (root.thinking !== "" || root.thinkingNow)
            text: root.thinking
            seconds: root.thinkingSeconds
            active: root.thinkingNow
        }

        // The answer as prose and code blocks; while it streams only the last segment changes.
        Repeater {
            model: MarkdownSegmentModel {
                objectName: "segments"
                markdown: root.content
            }
            delegate: Loader {
                id: segment
                required property string kind
                required property string text
                required property string language
                Layout.fillWidth: true
                visible: !root.editing
                sourceComponent: kind === "code" ? codeSegment : proseSegment

                Component {
                    id: proseSegment
                    TextEdit {
                        objectName: "messageText"
                        readOnly: true
                        selectByMouse: true
                        textFormat: TextEdit.MarkdownText
                        wrapMode: TextEdit.Wrap
                        text: segment.text
                        color: palette.text
                        selectionColor: palette.highlight
                        selectedTextColor: palette.highlightedText
                    }
                }
                Component {
                    id: codeSegment
                    CodeBlock {
                        objectName: "codeBlock"
                        code: segment.text
                        language: segment.language
                        onCopyRequested: (code) => root.copyRequested(code)
                    }
                }
            }
        }

        Label {
            objectName: "errorText"
            Layout.fillWidth: true
            visible: root.model.state === "error"
            text: root.model.error
            wrapMode: Text.Wrap
            color: "firebrick"
        }

        // Built only while editing: every message carrying an idle editor made each new
        // message's delegate slow enough to hold the first frame of a reply.
        Loader {
            Layout.fillWidth: true
            active: root.editing
            sourceComponent: ColumnLayout {
                TextArea {
                    id: editBox
                    objectName: "editBox"
                    Layout.fillWidth: true
                    wrapMode: TextArea.Wrap
                    text: root.content
                    Component.onCompleted: forceActiveFocus()
                }
                RowLayout {
                    Button {
                        objectName: "editSendButton"
                        text: qsTr("Send")
                        enabled: editBox.text.trim().length > 0 && !root.busy
                        onClicked: {
                            const edited = editBox.text
                            root.editing = false
                            root.editRequested(root.messageId, edited)
                        }
                    }
                    Button {
                        objectName: "editCancelButton"
                        text: qsTr("Cancel")
                        onClicked: root.editing = false
                    }
                }
            }
        }

        RowLayout {
            objectName: "actions"
            visible: !root.streaming && !root.editing
            spacing: 2

            ToolButton {
                objectName: "previousSibling"
                visible: root.siblingCount > 1
                enabled: root.siblingIndex > 1 && !root.busy
                text: "‹"
                onClicked: root.siblingRequested(root.messageId, -1)
            }
            Label {
                objectName: "siblingLabel"
                visible: root.siblingCount > 1
                text: root.siblingIndex + "/" + root.siblingCount
            }
            ToolButton {
                objectName: "nextSibling"
                visible: root.siblingCount > 1
                enabled: root.siblingIndex < root.siblingCount && !root.busy
                text: "›"
                onClicked: root.siblingRequested(root.messageId, 1)
            }
            ToolButton {
                objectName: "copyButton"
                text: qsTr("Copy")
                onClicked: root.copyRequested(root.content)
            }
            ToolButton {
                objectName: "regenerateButton"
                visible: !root.isUser
                enabled: !root.busy
                text: qsTr("Regenerate")
                onClicked: root.regenerateRequested(root.messageId)
            }
            ToolButton {
                objectName: "editButton"
                visible: root.isUser
                enabled: !root.busy
                text: qsTr("Edit")
                onClicked: root.editing = true
            }
        }
    }
}
