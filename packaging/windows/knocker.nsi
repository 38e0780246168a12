; Knocker's Windows installer: a per-user install that needs no
; administrator rights. packaging/windows-setup.sh builds it with makensis,
; defining VERSION (shown to users), FILEVERSION (four numbers), EXE (the
; knocker.exe to ship), ICON and OUTFILE, and maybe COMPRESSOR.
;
; Installer options:   /S silent, /AUTOSTART start Knocker at login (the
;                      "Start at login" component), /D=DIR install folder.
; Uninstaller options: /S silent, /REMOVEDATA also delete the profiles and
;                      their secrets (the "Profiles and secrets" component).
Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
; The release compresses hardest; tests pass a faster COMPRESSOR.
!ifndef COMPRESSOR
	!define COMPRESSOR "/SOLID lzma"
!endif
SetCompressor ${COMPRESSOR}

!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include Sections.nsh

; The application ID names the uninstall entry and the Run value (the one
; the app's own "Start at login" setting writes), and prefixes the
; Credential Manager items ("io.knocker.desktop:<profile ID>").
!define APPID "io.knocker.desktop"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPID}"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"

Name "Knocker"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Knocker"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
BrandingText "Knocker ${VERSION}"

VIProductVersion "${FILEVERSION}"
VIFileVersion "${FILEVERSION}"
VIAddVersionKey "ProductName" "Knocker"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "Knocker setup"
VIAddVersionKey "LegalCopyright" "Knocker authors"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\knocker.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start Knocker"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; Knocker sits in the tray for days, so an update or an uninstall usually
; finds it running, and Windows neither replaces nor deletes a running
; program. CloseKnocker ends it first, after asking (a silent run does not
; ask). Without administrator rights taskkill reaches the user's own
; processes only.
!macro CLOSE_KNOCKER un
Function ${un}CloseKnocker
	${IfNot} ${FileExists} "$INSTDIR\knocker.exe"
		Return
	${EndIf}
	${For} $1 1 10
		; Opening a running program for writing fails.
		ClearErrors
		FileOpen $0 "$INSTDIR\knocker.exe" a
		${IfNot} ${Errors}
			FileClose $0
			Return
		${EndIf}
		${If} $1 == 1
			MessageBox MB_OKCANCEL|MB_ICONINFORMATION "Knocker is running. Close it and continue?" /SD IDOK IDOK close
			Abort "Knocker is still running."
			close:
		${EndIf}
		nsExec::Exec '"$SYSDIR\taskkill.exe" /F /IM knocker.exe'
		Pop $0
		Sleep 500
	${Next}
	Abort "Knocker is still running: quit it from its tray menu and try again."
FunctionEnd
!macroend
!insertmacro CLOSE_KNOCKER ""
!insertmacro CLOSE_KNOCKER "un."

Section "Knocker" SecApp
	SectionIn RO
	SetShellVarContext current
	Call CloseKnocker
	SetOutPath "$INSTDIR"
	File "/oname=knocker.exe" "${EXE}"
	WriteUninstaller "$INSTDIR\uninstall.exe"
	CreateShortCut "$SMPROGRAMS\Knocker.lnk" "$INSTDIR\knocker.exe" "" "$INSTDIR\knocker.exe" 0 \
		SW_SHOWNORMAL "" "Port knocking client"

	WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "Knocker"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\knocker.exe"
	WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "Knocker"
	WriteRegStr HKCU "${UNINSTKEY}" "URLInfoAbout" "https://github.com/knocker/knocker"
	WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
	WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
	WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
	${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
	WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

Section /o "Start at login" SecAutostart
	; The same value Knocker's own setting writes, so the setting shows it.
	WriteRegStr HKCU "${RUNKEY}" "${APPID}" '"$INSTDIR\knocker.exe" --tray'
SectionEnd

Function .onInit
	${GetParameters} $0
	ClearErrors
	${GetOptions} $0 "/AUTOSTART" $1
	${IfNot} ${Errors}
		!insertmacro SelectSection ${SecAutostart}
	${EndIf}
FunctionEnd

Section "un.Knocker" UnSecApp
	SectionIn RO
	SetShellVarContext current
	Call un.CloseKnocker
	; The login entry, whether this installer or Knocker's setting wrote it:
	; it would start a program that is gone.
	DeleteRegValue HKCU "${RUNKEY}" "${APPID}"
	Delete "$SMPROGRAMS\Knocker.lnk"
	Delete "$INSTDIR\knocker.exe"
	Delete "$INSTDIR\uninstall.exe"
	RMDir "$INSTDIR"
	DeleteRegKey HKCU "${UNINSTKEY}"
SectionEnd

; Off unless asked for: profiles and secrets outlive an uninstall, so a
; reinstall finds them again.
Section /o "un.Profiles and secrets" UnSecData
	SetShellVarContext current
	Call un.DeleteCredentials
	RMDir /r "$APPDATA\knocker"
	RMDir /r "$APPDATA\fyne\${APPID}"
SectionEnd

Function un.onInit
	${GetParameters} $0
	ClearErrors
	${GetOptions} $0 "/REMOVEDATA" $1
	${IfNot} ${Errors}
		!insertmacro SelectSection ${UnSecData}
	${EndIf}
FunctionEnd

; un.DeleteCredentials deletes every Credential Manager item of Knocker's
; (generic credentials named "io.knocker.desktop:*") through advapi32.
Function un.DeleteCredentials
	System::Call 'advapi32::CredEnumerateW(w "${APPID}:*", i 0, *i .r1, *p .r2) i .r0'
	${If} $0 == 0
		Return ; none saved
	${EndIf}
	StrCpy $3 0
	${DoWhile} $3 < $1
		IntOp $4 $3 * 8 ; the array holds 64-bit pointers to CREDENTIALW
		IntPtrOp $4 $2 + $4
		System::Call '*$4(p .r5)'
		; CREDENTIALW begins with DWORD Flags, DWORD Type, LPWSTR TargetName.
		System::Call '*$5(i .r6, i .r7, p .r8)'
		System::Call 'advapi32::CredDeleteW(p r8, i r7, i 0) i .r0'
		IntOp $3 $3 + 1
	${Loop}
	System::Call 'advapi32::CredFree(p r2)'
FunctionEnd
