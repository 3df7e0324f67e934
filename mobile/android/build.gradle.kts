// Packs the Rust library (jniLibs from cargo-ndk), the UniFFI-generated Kotlin
// (app.kintsugi) and KintsugiAndroid.kt into one AAR.
// Inputs come from mobile/scripts/build-android.sh as Gradle properties.
plugins {
    id("com.android.library") version "8.5.2"
    id("org.jetbrains.kotlin.android") version "2.0.20"
}

val jniLibsDir = providers.gradleProperty("kintsugiJniLibs").orElse("../../target/android/jniLibs")
val bindingsDir = providers.gradleProperty("kintsugiBindings").orElse("../../target/android/kotlin")
val minSdkLevel = providers.gradleProperty("kintsugiMinSdk").orElse("26")

android {
    namespace = "app.kintsugi"
    compileSdk = 35

    defaultConfig {
        minSdk = minSdkLevel.get().toInt()
        // Keep rules for JNA and the generated bindings travel with the AAR.
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        jniLibs.srcDir(jniLibsDir.get())
        kotlin.srcDir(bindingsDir.get())
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // The generated bindings call the library through JNA; the `@aar`
    // artifact carries JNA's own native parts for each ABI.
    api("net.java.dev.jna:jna:5.14.0@aar")
    // Async functions are `suspend fun`.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.8.1")
    // `android = true` bindings use androidx.annotation.
    implementation("androidx.annotation:annotation:1.8.2")
}
