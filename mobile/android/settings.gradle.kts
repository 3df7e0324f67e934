// The Kintsugi Android library, built on its own by mobile/scripts/build-android.sh
// (or included into an app's build with `includeBuild("path/to/mobile/android")`).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "kintsugi"
