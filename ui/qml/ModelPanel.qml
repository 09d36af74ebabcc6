import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Flint

// The model: its folder (checked as it is typed), the memory plan on this machine, the host
// budget for the routed experts, and the load with its phase and a cancel button.
Dialog {
    id: panel
    objectName: "modelPanel"
    required property ChatController controller

    title: qsTr("Model")
    modal: true
    anchors.centerIn: parent
    width: Math.min(620, parent ? parent.width - 40 : 620)
    standardButtons: Dialog.Close

    readonly property bool loading: controller.modelStatus === "loading"

    ModelPanelModel {
        id: model
        objectName: "modelPanelModel"
        chat: panel.controller
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        Label {
            objectName: "currentModel"
            text: panel.controller.modelStatus === "ready" ? qsTr("In use: %1").arg(panel.controller.modelName)
                                                     : qsTr("No model is in use.")
        }

        Label { text: qsTr("Model folder") }
        RowLayout {
            Layout.fillWidth: true
            TextField {
                id: folderField
                objectName: "folderField"
                Layout.fillWidth: true
                text: model.folder
                selectByMouse: true
                onEditingFinished: model.folder = text
            }
            Button {
                objectName: "loadButton"
                text: qsTr("Load")
                enabled: model.valid && !panel.loading
                onClicked: model.load()
            }
        }

        Label {
            objectName: "folderError"
            Layout.fillWidth: true
            visible: text.length > 0
            text: model.error
            color: "firebrick"
            wrapMode: Text.Wrap
        }

        RowLayout {
            Layout.fillWidth: true
            visible: panel.loading
            ProgressBar {
                objectName: "loadProgress"
                Layout.fillWidth: true
                indeterminate: true
            }
            Button {
                objectName: "cancelLoadButton"
                text: qsTr("Cancel")
                onClicked: model.cancel()
            }
        }
        Label {
            objectName: "loadPhase"
            visible: panel.loading
            text: panel.controller.loadPhase
        }

        Label {
            objectName: "planText"
            Layout.fillWidth: true
            visible: model.valid
            text: model.planText
            wrapMode: Text.Wrap
        }

        Label {
            visible: model.valid
            text: qsTr("Routed experts kept in RAM")
        }
        RowLayout {
            Layout.fillWidth: true
            visible: model.valid
            Slider {
                id: budget
                objectName: "budgetSlider"
                Layout.fillWidth: true
                from: 0
                to: model.routedExpertBytes
                value: panel.controller.hostExpertBudget > 0 ? panel.controller.hostExpertBudget
                                                       : model.plannedExpertBytes
            }
            Label { text: model.formatBytes(budget.value) }
            Button {
                objectName: "applyBudgetButton"
                text: qsTr("Apply and reload")
                enabled: !panel.loading
                onClicked: model.applyBudget(budget.value)
            }
            Button {
                objectName: "automaticBudgetButton"
                text: qsTr("Automatic")
                enabled: !panel.loading && panel.controller.hostExpertBudget > 0
                onClicked: model.applyBudget(0)
            }
        }
    }
}
