import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// The global settings: sampling, speculation, the system prompt and the theme. Save writes
// them through the SettingsModel; Cancel drops the edits.
Dialog {
    id: dialog
    objectName: "settingsDialog"
    required property SettingsModel settingsModel

    title: qsTr("Settings")
    modal: true
    anchors.centerIn: parent
    width: Math.min(560, parent ? parent.width - 40 : 560)
    standardButtons: Dialog.Save | Dialog.Cancel | Dialog.RestoreDefaults

    onAccepted: settingsModel.save()
    onRejected: settingsModel.reload()
    onReset: settingsModel.restoreDefaults()

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        GridLayout {
            width: parent.width
            columns: 2
            columnSpacing: 12

            Label { text: qsTr("Temperature") }
            RowLayout {
                Slider {
                    objectName: "temperature"
                    Layout.fillWidth: true
                    from: 0; to: 2; stepSize: 0.05
                    value: dialog.settingsModel.temperature
                    onMoved: dialog.settingsModel.temperature = value
                }
                Label { text: dialog.settingsModel.temperature.toFixed(2) }
            }

            Label { text: qsTr("Top-p") }
            RowLayout {
                Slider {
                    objectName: "topP"
                    Layout.fillWidth: true
                    from: 0.05; to: 1; stepSize: 0.05
                    value: dialog.settingsModel.topP
                    onMoved: dialog.settingsModel.topP = value
                }
                Label { text: dialog.settingsModel.topP.toFixed(2) }
            }

            Label { text: qsTr("Top-k (0: off)") }
            SpinBox {
                objectName: "topK"
                from: 0; to: 1000
                editable: true
                value: dialog.settingsModel.topK
                onValueModified: dialog.settingsModel.topK = value
            }

            Label { text: qsTr("Max tokens (0: no limit)") }
            SpinBox {
                objectName: "maxTokens"
                from: 0; to: 1000000; stepSize: 256
                editable: true
                value: dialog.settingsModel.maxTokens
                onValueModified: dialog.settingsModel.maxTokens = value
            }

            Label { text: qsTr("Speculative decoding") }
            Switch {
                objectName: "speculation"
                checked: dialog.settingsModel.speculation
                onToggled: dialog.settingsModel.speculation = checked
            }

            Label { text: qsTr("Max drafts") }
            SpinBox {
                objectName: "maxDrafts"
                enabled: dialog.settingsModel.speculation
                from: 1; to: 16
                value: dialog.settingsModel.maxDrafts
                onValueModified: dialog.settingsModel.maxDrafts = value
            }

            Label { text: qsTr("System prompt"); Layout.alignment: Qt.AlignTop }
            TextArea {
                objectName: "systemPrompt"
                Layout.fillWidth: true
                Layout.preferredHeight: 90
                wrapMode: TextEdit.Wrap
                placeholderText: qsTr("Sent before every conversation")
                text: dialog.settingsModel.systemPrompt
                onTextChanged: if (text !== dialog.settingsModel.systemPrompt) dialog.settingsModel.systemPrompt = text
            }

            Label { text: qsTr("Theme") }
            RowLayout {
                RadioButton {
                    objectName: "themeLight"
                    text: qsTr("Light")
                    checked: dialog.settingsModel.theme === "light"
                    onToggled: dialog.settingsModel.theme = "light"
                }
                RadioButton {
                    objectName: "themeDark"
                    text: qsTr("Dark")
                    checked: dialog.settingsModel.theme === "dark"
                    onToggled: dialog.settingsModel.theme = "dark"
                }
            }

            Label {
                objectName: "settingsError"
                Layout.columnSpan: 2
                Layout.fillWidth: true
                visible: text.length > 0
                text: dialog.settingsModel.error
                color: "firebrick"
                wrapMode: Text.Wrap
            }
        }
    }
}
