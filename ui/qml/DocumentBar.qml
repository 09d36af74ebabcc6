import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Flint

// Above the composer: the documents attached to the chat as chips with their token counts,
// "Attach…" with a file picker (several files at once where the desktop's picker allows it),
// "Path…" with a field to type a file's path instead, and while a file is read, its progress
// and Cancel. Files dropped on the chat arrive through the same model (ChatView's filesDropped).
ColumnLayout {
    id: root
    property ChatController controller: null
    readonly property DocumentListModel documents: controller ? controller.documents : null
    property bool pathOpen: false

    function count(n) { return Number(n).toLocaleString(Qt.locale(), "f", 0) }
    function attach() {
        root.documents.add(pathField.text)
        pathField.clear()
        root.pathOpen = false
    }

    spacing: 4
    visible: documents !== null

    RowLayout {
        Layout.fillWidth: true
        Layout.leftMargin: 12
        Layout.rightMargin: 12
        spacing: 6

        Flow {
            Layout.fillWidth: true
            spacing: 6
            Repeater {
                model: root.documents
                delegate: Rectangle {
                    objectName: "documentChip"
                    required property var documentId
                    required property string name
                    required property string sizeText
                    required property var tokenCount
                    required property string stale
                    implicitWidth: chipRow.implicitWidth + 12
                    implicitHeight: chipRow.implicitHeight + 6
                    radius: height / 2
                    color: palette.alternateBase
                    border.color: palette.mid
                    RowLayout {
                        id: chipRow
                        anchors.centerIn: parent
                        spacing: 4
                        Label {
                            objectName: "documentChipLabel"
                            text: qsTr("%1 · %2 tokens").arg(name).arg(root.count(tokenCount))
                                  + (stale !== "" ? " ⚠" : "")
                            font.pixelSize: 12
                            ToolTip.visible: chipMouse.containsMouse
                            ToolTip.text: stale !== "" ? sizeText + "\n" + stale : sizeText
                            MouseArea { id: chipMouse; anchors.fill: parent; hoverEnabled: true }
                        }
                        ToolButton {
                            objectName: "removeDocumentButton"
                            text: "\u00d7"
                            implicitWidth: 20
                            implicitHeight: 20
                            padding: 0
                            enabled: !root.controller.busy
                            onClicked: root.documents.remove(documentId)
                        }
                    }
                }
            }
        }

        ToolButton {
            objectName: "attachButton"
            text: qsTr("Attach…")
            onClicked: attachDialog.open()
        }
        ToolButton {
            objectName: "typePathButton"
            text: qsTr("Path…")
            checkable: true
            checked: root.pathOpen
            onToggled: root.pathOpen = checked
        }
    }

    // Qt's own file picker where the desktop offers none; it opens in the bar's window. Each
    // chosen file goes the way a typed path does (DocumentListModel::add), one after the other.
    FileDialog {
        id: attachDialog
        objectName: "attachFileDialog"
        title: qsTr("Attach documents")
        fileMode: FileDialog.OpenFiles
        nameFilters: DocumentFileTypes.nameFilters
        parentWindow: root.Window.window
        onAccepted: root.documents.addUrls(selectedFiles)
    }

    RowLayout {
        objectName: "attachPathRow"
        visible: root.pathOpen
        Layout.fillWidth: true
        Layout.leftMargin: 12
        Layout.rightMargin: 12
        TextField {
            id: pathField
            objectName: "attachPathField"
            Layout.fillWidth: true
            placeholderText: qsTr("Path of a text, Markdown, HTML, PDF or source file")
            onAccepted: root.attach()
        }
        Button {
            objectName: "attachConfirmButton"
            text: qsTr("Attach")
            enabled: pathField.text.trim().length > 0
            onClicked: root.attach()
        }
    }

    RowLayout {
        objectName: "importRow"
        visible: root.documents !== null && root.documents.importing
        Layout.fillWidth: true
        Layout.leftMargin: 12
        Layout.rightMargin: 12
        Label {
            text: root.documents ? qsTr("Reading %1…").arg(root.documents.importingName) : ""
            font.pixelSize: 12
        }
        ProgressBar {
            objectName: "importProgress"
            Layout.fillWidth: true
            from: 0
            to: 1
            value: root.documents ? root.documents.progress : 0
        }
        Button {
            objectName: "cancelImportButton"
            text: qsTr("Cancel")
            onClicked: root.documents.cancel()
        }
    }

    Label {
        objectName: "documentError"
        visible: text !== ""
        text: root.documents ? root.documents.error : ""
        color: "firebrick"
        wrapMode: Text.Wrap
        Layout.fillWidth: true
        Layout.leftMargin: 12
        Layout.rightMargin: 12
    }
}
